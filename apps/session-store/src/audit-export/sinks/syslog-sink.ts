import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { hostname } from 'node:os';
import { connect, type Socket as TcpSocket } from 'node:net';
import { toCef } from '../cef.js';
import type { AuditExportRecord } from '../export-record.js';
import type { AuditSink } from './audit-sink.js';

export interface SyslogSinkOptions {
  protocol: 'udp' | 'tcp';
  host: string;
  port: number;
  /** RFC 5424 HOSTNAME; default the machine's. */
  hostname?: string;
  /** How long a TCP connect may take. Default 5 s. */
  connectTimeoutMs?: number;
}

/** Facility 13, "log audit" (RFC 5424 table 1). */
const FACILITY = 13;
/** Severity: 6 informational for success, 4 warning otherwise. */
const severityOf = (outcome: AuditExportRecord['outcome']) => (outcome === 'success' ? 6 : 4);
/** The largest UDP payload we send: beyond it the CEF text is cut (RFC 5426 allows receivers to truncate anyway). */
const MAX_UDP_BYTES = 60_000;

/** RFC 5424 header fields are printable US-ASCII without spaces; NILVALUE `-` when empty. */
const headerField = (value: string, max: number) => value.replace(/[^\x21-\x7e]/g, '_').slice(0, max) || '-';

/**
 * One RFC 5424 message per record: `<PRI>1 TIMESTAMP HOSTNAME airlock PROCID MSGID - CEF:0|...` (no
 * structured data; MSG is the CEF line, UTF-8 without a BOM, which CEF parsers expect). Over TCP each message is
 * framed by octet counting (RFC 6587 3.4.1: `<length> <message>`), so a CEF value may hold any byte.
 *
 * Acknowledgement is the transport's: over TCP a batch counts as delivered when the kernel took every
 * byte (a killed exporter's kernel still sends what it took); over UDP when every datagram was sent.
 * Syslog has no application-level ack: a receiver that drops messages (UDP loss, a TCP receiver crashing
 * with data in its buffers) loses them. Use the webhook or the file for delivery you can prove.
 */
export class SyslogSink implements AuditSink {
  readonly name = 'syslog';
  private tcp: TcpSocket | undefined;
  private udp: UdpSocket | undefined;
  private readonly host: string;

  constructor(private readonly options: SyslogSinkOptions) {
    this.host = headerField(options.hostname ?? hostname(), 255);
  }

  /** The RFC 5424 message (without framing) for one record. */
  format(record: AuditExportRecord): string {
    const pri = FACILITY * 8 + severityOf(record.outcome);
    return `<${pri}>1 ${record.occurredAt} ${this.host} airlock ${process.pid} ${headerField(record.action, 32)} - ${toCef(record)}`;
  }

  async deliver(records: readonly AuditExportRecord[]): Promise<void> {
    const messages = records.map((record) => Buffer.from(this.format(record), 'utf8'));
    if (this.options.protocol === 'udp') return this.sendUdp(messages);
    return this.sendTcp(messages);
  }

  private async sendUdp(messages: Buffer[]): Promise<void> {
    if (!this.udp) {
      const family = this.options.host.includes(':') ? 'udp6' : 'udp4';
      const socket = createSocket(family);
      socket.on('error', () => this.resetUdp());
      this.udp = socket;
    }
    const socket = this.udp;
    for (const message of messages) {
      const payload = message.length > MAX_UDP_BYTES ? message.subarray(0, MAX_UDP_BYTES) : message;
      await new Promise<void>((resolve, reject) =>
        socket.send(payload, this.options.port, this.options.host, (error) => {
          if (error) {
            this.resetUdp();
            reject(error);
          } else resolve();
        }),
      );
    }
  }

  private resetUdp(): void {
    const socket = this.udp;
    this.udp = undefined;
    try {
      socket?.close();
    } catch {
      // already closed
    }
  }

  private async sendTcp(messages: Buffer[]): Promise<void> {
    const socket = await this.tcpSocket();
    const framed = Buffer.concat(messages.flatMap((message) => [Buffer.from(`${message.length} `, 'ascii'), message]));
    await new Promise<void>((resolve, reject) => {
      const onClose = () => reject(new Error('syslog connection closed'));
      socket.once('close', onClose);
      socket.write(framed, (error) => {
        socket.off('close', onClose);
        if (error) {
          this.resetTcp();
          reject(error);
        } else resolve();
      });
    });
  }

  private tcpSocket(): Promise<TcpSocket> {
    if (this.tcp && !this.tcp.destroyed && !this.tcp.connecting) return Promise.resolve(this.tcp);
    this.resetTcp();
    return new Promise((resolve, reject) => {
      const socket = connect({ host: this.options.host, port: this.options.port });
      const timer = setTimeout(() => socket.destroy(new Error('syslog connect timed out')), this.options.connectTimeoutMs ?? 5_000);
      socket.setKeepAlive(true, 30_000);
      socket.once('connect', () => {
        clearTimeout(timer);
        this.tcp = socket;
        // A receiver closing or failing later: the next batch reconnects.
        socket.on('error', () => this.resetTcp());
        socket.on('close', () => {
          if (this.tcp === socket) this.tcp = undefined;
        });
        resolve(socket);
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      });
      // Syslog receivers send nothing; reading keeps a FIN from going unnoticed.
      socket.resume();
    });
  }

  private resetTcp(): void {
    const socket = this.tcp;
    this.tcp = undefined;
    socket?.destroy();
  }

  async close(): Promise<void> {
    this.resetUdp();
    const socket = this.tcp;
    this.tcp = undefined;
    if (socket && !socket.destroyed) await new Promise<void>((resolve) => socket.end(resolve));
  }
}
