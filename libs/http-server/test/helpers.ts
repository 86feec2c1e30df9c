import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@airlock/observability';
import type { RawRequest } from '../src/raw-handler.js';
import { createTestLogger } from '@airlock/testing';
import type { TestLogRecord } from '@airlock/testing';

export interface CapturedLogger {
  logger: Logger;
  lines: TestLogRecord[];
  text(): string;
}

/** The testing lib's redacting logger, with what it wrote as records and as text. */
export function captureLogger(level = 'info'): CapturedLogger {
  const logger = createTestLogger({ name: 'http-test', level });
  return { logger, lines: logger.records, text: () => logger.records.map((line) => JSON.stringify(line)).join('\n') };
}

/** A self-signed certificate for 127.0.0.1/localhost, made with the machine's openssl. */
export function selfSignedCert(): { certFile: string; keyFile: string; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-tls-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', keyFile, '-out', certFile],
    { stdio: 'ignore' },
  );
  return { certFile, keyFile, cert: readFileSync(certFile) };
}

export interface H2Response {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: string;
}

/** One request over an HTTP/2 session (TLS or prior-knowledge cleartext). */
export function h2Request(session: http2.ClientHttp2Session, path: string, options: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<H2Response> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':method': options.method ?? 'GET', ':path': path, ...options.headers });
    let headers: http2.IncomingHttpHeaders = {};
    let body = '';
    stream.setEncoding('utf8');
    stream.on('response', (h) => (headers = h));
    stream.on('data', (chunk: string) => (body += chunk));
    stream.on('end', () => resolve({ status: Number(headers[':status']), headers, body }));
    stream.on('error', reject);
    stream.end(options.body);
  });
}

export function h2Connect(url: string, ca?: Buffer): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url, ca ? { ca } : {});
    session.once('connect', () => resolve(session));
    session.once('error', reject);
  });
}

/** A raw handler's request body as text. */
export function readAll(request: RawRequest): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => resolve(body));
    request.on('error', reject);
  });
}
