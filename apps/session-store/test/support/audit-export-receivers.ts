import { createSocket } from 'node:dgram';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { verifyWebhookSignature } from '../../src/audit-export/sinks/webhook-signature.js';

export interface WebhookRequest {
  /** The records of the batch, as posted. */
  records: Array<Record<string, unknown>>;
  signatureValid: boolean;
  status: number;
}

export interface WebhookReceiver {
  url: string;
  requests: WebhookRequest[];
  /** Records of the batches answered 2xx, in arrival order. */
  acknowledged(): Array<Record<string, unknown>>;
  /** Every record received, acknowledged or not, in arrival order. */
  received(): Array<Record<string, unknown>>;
  close(): Promise<void>;
}

/**
 * A real HTTP receiver that checks each batch's signature the way the README tells receivers to. `answer`
 * picks the status of each request (by its index) and may run something before answering (a test kills
 * the exporter there, mid-batch); a request with a bad signature is answered 401.
 */
export async function startWebhookReceiver(secret: string, answer: (index: number, records: Array<Record<string, unknown>>) => Promise<number> | number = () => 200): Promise<WebhookReceiver> {
  const requests: WebhookRequest[] = [];
  const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const signatureValid = verifyWebhookSignature(secret, req.headers['airlock-signature'] as string | undefined, body);
        const records = JSON.parse(body) as Array<Record<string, unknown>>;
        const entry: WebhookRequest = { records, signatureValid, status: 0 };
        const index = requests.push(entry) - 1;
        entry.status = signatureValid ? await answer(index, records) : 401;
        if (!res.destroyed) res.writeHead(entry.status, { 'content-type': 'text/plain' }).end(entry.status < 300 ? 'ok' : 'no');
      })();
    });
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/audit`,
    requests,
    acknowledged: () => requests.filter((r) => r.status >= 200 && r.status < 300).flatMap((r) => r.records),
    received: () => requests.flatMap((r) => r.records),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface SyslogListener {
  port: number;
  messages: string[];
  close(): Promise<void>;
}

/** A UDP syslog listener: one RFC 5424 message per datagram. */
export async function startUdpSyslog(): Promise<SyslogListener> {
  const socket = createSocket('udp4');
  const messages: string[] = [];
  socket.on('message', (message) => messages.push(message.toString('utf8')));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, messages, close: () => new Promise<void>((resolve) => socket.close(() => resolve())) };
}

/**
 * A TCP syslog listener that parses RFC 6587 octet-counting frames (`<length> <message>`), across chunk
 * boundaries. close() drops its connections (a receiver going away).
 */
export async function startTcpSyslog(port = 0): Promise<SyslogListener & { frameErrors: number }> {
  const messages: string[] = [];
  const state = { frameErrors: 0 };
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const space = buffer.indexOf(0x20);
        if (space < 0) return;
        const length = Number(buffer.subarray(0, space).toString('ascii'));
        if (!Number.isInteger(length) || length <= 0) {
          state.frameErrors++;
          socket.destroy();
          return;
        }
        if (buffer.length < space + 1 + length) return;
        messages.push(buffer.subarray(space + 1, space + 1 + length).toString('utf8'));
        buffer = buffer.subarray(space + 1 + length);
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as AddressInfo).port,
    messages,
    get frameErrors() {
      return state.frameErrors;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
