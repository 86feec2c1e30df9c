import https from 'node:https';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp, httpProtocolOf, listenHttpApp, mountRawHandler } from '../src/index.js';
import { FixtureModule } from './fixture-app.js';
import { captureLogger, h2Connect, h2Request, selfSignedCert } from './helpers.js';

describe('HTTP/2 over TLS (with HTTP/1.1 fallback)', () => {
  const tls = selfSignedCert();
  let app: NestFastifyApplication;
  let url: string;

  beforeAll(async () => {
    app = await createHttpApp(FixtureModule, {
      name: 'h2',
      http: { host: '127.0.0.1', tls: { certFile: tls.certFile, keyFile: tls.keyFile }, h2c: false },
      logger: captureLogger().logger,
      readiness: [{ name: 'noop', check: async () => undefined }],
      bodyLimit: 512,
    });
    mountRawHandler(app, {
      prefix: '/raw',
      handler: (request, response) => {
        let body = '';
        request.on('data', (chunk: Buffer) => (body += chunk.toString()));
        request.on('end', () => response.end(JSON.stringify({ version: request.httpVersion, body })));
      },
    });
    url = await listenHttpApp(app, { port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await app?.close();
  });

  it('listens on https and negotiates h2 by ALPN', async () => {
    expect(url).toMatch(/^https:\/\//);
    expect(httpProtocolOf(app)).toBe('h2-tls');
    const session = await h2Connect(url, tls.cert);
    try {
      expect(session.alpnProtocol).toBe('h2');
      const health = await h2Request(session, '/healthz');
      expect(health.status).toBe(200);
      expect(JSON.parse(health.body)).toEqual({ status: 'ok' });
      const ready = await h2Request(session, '/readyz', { headers: { 'x-request-id': 'h2-req' } });
      expect(ready.status).toBe(200);
      expect(ready.headers['x-request-id']).toBe('h2-req');
      // Many concurrent streams share the one session.
      const many = await Promise.all(Array.from({ length: 20 }, () => h2Request(session, '/hello')));
      expect(many.every((r) => r.status === 200)).toBe(true);
      const boom = await h2Request(session, '/boom');
      expect(boom.status).toBe(500);
      expect(JSON.parse(boom.body)).toMatchObject({ error: 'server_error' });
      const large = await h2Request(session, '/echo', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ a: 'x'.repeat(1024) }) });
      expect(large.status).toBe(413);
      const raw = await h2Request(session, '/raw/x', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
      expect(JSON.parse(raw.body)).toEqual({ version: '2.0', body: '{"a":1}' });
    } finally {
      session.close();
    }
  });

  it('still serves HTTP/1.1 clients over TLS', async () => {
    const result = await new Promise<{ status: number; version: string; body: string }>((resolve, reject) => {
      const options: https.RequestOptions & { ALPNProtocols: string[] } = { ca: tls.cert, ALPNProtocols: ['http/1.1'] };
      https
        .get(`${url}/healthz`, options, (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, version: response.httpVersion, body }));
        })
        .on('error', reject);
    });
    expect(result).toEqual({ status: 200, version: '1.1', body: '{"status":"ok"}' });
  });
});

describe('cleartext HTTP/2 (h2c, prior knowledge)', () => {
  let app: NestFastifyApplication;
  let url: string;

  beforeAll(async () => {
    app = await createHttpApp(FixtureModule, {
      name: 'h2c',
      http: { host: '127.0.0.1', tls: undefined, h2c: true },
      logger: captureLogger().logger,
      readiness: [],
    });
    url = await listenHttpApp(app, { port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await app?.close();
  });

  it('serves h2 without TLS', async () => {
    expect(url).toMatch(/^http:\/\//);
    expect(httpProtocolOf(app)).toBe('h2c');
    const session = await h2Connect(url);
    try {
      const health = await h2Request(session, '/healthz');
      expect(health.status).toBe(200);
      const echo = await h2Request(session, '/echo', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
      expect(echo.status).toBe(201);
      expect(JSON.parse(echo.body)).toEqual({ received: { a: 1 } });
    } finally {
      session.close();
    }
  });

  it('does not speak HTTP/1.1 on the same port (a Node limitation; documented)', async () => {
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
