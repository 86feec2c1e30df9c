import type { ServerResponse } from 'node:http';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeHttpApp, createHttpApp, httpLifecycleOf, listenHttpApp, mountRawHandler, type ReadinessCheck } from '../src/index.js';
import { DrainProbe, FixtureModule } from './fixture-app.js';
import { captureLogger, readAll } from './helpers.js';

const http = { host: '127.0.0.1', tls: undefined, h2c: false };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('createHttpApp over HTTP/1.1', () => {
  const captured = captureLogger();
  let app: NestFastifyApplication;
  let url: string;
  let dbHealthy = true;
  const readiness: ReadinessCheck[] = [
    {
      name: 'postgres',
      check: async () => {
        if (!dbHealthy) throw new Error('connect ECONNREFUSED postgresql://app:hunter2@db:5432/airlock');
      },
    },
    { name: 'redis', check: async () => undefined },
  ];

  beforeAll(async () => {
    app = await createHttpApp(FixtureModule, { name: 'fixture', http, logger: captured.logger, readiness, bodyLimit: 1024 });
    mountRawHandler(app, {
      prefix: '/raw/:tenant',
      handler: async (request, response) => {
        const body = await readAll(request);
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ url: request.url, method: request.method, body }));
      },
    });
    mountRawHandler(app, { prefix: '/raw-fails', handler: () => Promise.reject(new Error('raw secret detail')) });
    url = await listenHttpApp(app, { port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await app?.close();
  });

  it('returns a connectable URL', () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('answers /healthz with no I/O', async () => {
    const response = await fetch(`${url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('generates a request id, echoes a sane incoming one and replaces an unsafe one', async () => {
    const generated = await fetch(`${url}/hello`);
    expect(generated.headers.get('x-request-id')).toMatch(UUID);
    const echoed = await fetch(`${url}/hello`, { headers: { 'x-request-id': 'trace-abc.123' } });
    expect(echoed.headers.get('x-request-id')).toBe('trace-abc.123');
    const unsafe = await fetch(`${url}/hello`, { headers: { 'x-request-id': 'x'.repeat(300) } });
    expect(unsafe.headers.get('x-request-id')).toMatch(UUID);
  });

  it('reports readiness per check and hides the failure text', async () => {
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' } });

    dbHealthy = false;
    try {
      const notReady = await fetch(`${url}/readyz`);
      expect(notReady.status).toBe(503);
      const text = await notReady.text();
      expect(JSON.parse(text)).toEqual({ status: 'not_ready', checks: { postgres: 'failed', redis: 'ok' } });
      expect(text).not.toContain('hunter2');
      expect(captured.text()).not.toContain('hunter2@');
    } finally {
      dbHealthy = true;
    }
  });

  it('turns an unknown error into a generic 500 with the request id, and logs the real error', async () => {
    const response = await fetch(`${url}/boom`, { headers: { 'x-request-id': 'boom-1' } });
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ error: 'server_error', request_id: 'boom-1' });
    expect(text).not.toContain('at ');
    expect(text).not.toContain('hunter2');
    const logged = captured.lines.find((line) => line.request_id === 'boom-1' && line.msg === 'unhandled error');
    expect(logged).toBeDefined();
    expect(JSON.stringify(logged)).toContain('FixtureController');
  });

  it('answers a generic 500 when a handler fails after hijacking the reply, instead of an empty success', async () => {
    const response = await fetch(`${url}/hijacked-boom`, { headers: { 'x-request-id': 'hijack-1' } });
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: 'server_error', request_id: 'hijack-1' });
  });

  it('keeps the status and body of Nest HttpExceptions', async () => {
    const response = await fetch(`${url}/teapot`);
    expect(response.status).toBe(418);
    expect(await response.json()).toEqual({ error: 'invalid_request', error_description: 'short and stout' });
  });

  it('answers unknown routes with 404', async () => {
    const response = await fetch(`${url}/nope`);
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain('at ');
  });

  it('parses JSON bodies and refuses bodies over the limit with 413', async () => {
    const small = await fetch(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ a: 1 }) });
    expect(small.status).toBe(201);
    expect(await small.json()).toEqual({ received: { a: 1 } });

    const large = await fetch(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ a: 'x'.repeat(2048) }) });
    expect(large.status).toBe(413);
    const body = (await large.json()) as Record<string, unknown>;
    expect(body.statusCode).toBe(413);
    expect(JSON.stringify(body)).not.toContain('at ');
  });

  it('answers malformed JSON with 400 and no stack', async () => {
    const response = await fetch(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":' });
    expect(response.status).toBe(400);
    expect(await response.text()).not.toMatch(/\bat .*\.js/);
  });

  it('hands raw handlers the unread body, for every content type, with the request id header', async () => {
    for (const [type, body] of [
      ['application/json', '{"client_id":"x"}'],
      ['application/x-www-form-urlencoded', 'grant_type=authorization_code&code=abc'],
      ['text/plain', 'plain'],
    ] as const) {
      const response = await fetch(`${url}/raw/demo/token?x=1`, { method: 'POST', headers: { 'content-type': type, 'x-request-id': 'raw-1' }, body });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-request-id')).toBe('raw-1');
      expect(await response.json()).toEqual({ url: '/raw/demo/token?x=1', method: 'POST', body });
    }
    const bare = await fetch(`${url}/raw/demo`);
    expect(await bare.json()).toEqual({ url: '/raw/demo', method: 'GET', body: '' });
    // Nest's parsers are untouched elsewhere.
    const echo = await fetch(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"b":2}' });
    expect(await echo.json()).toEqual({ received: { b: 2 } });
  });

  it('answers a failing raw handler with a generic 500', async () => {
    const response = await fetch(`${url}/raw-fails/x`);
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({ error: 'server_error' });
    expect(text).not.toContain('raw secret detail');
  });

  it('exposes the lifecycle to Nest providers', () => {
    expect(app.get(DrainProbe).lifecycle).toBe(httpLifecycleOf(app));
  });
});

describe('graceful shutdown', () => {
  it('turns readiness to 503, runs drain hooks, ends streams and closes', async () => {
    const captured = captureLogger();
    const app = await createHttpApp(FixtureModule, { name: 'drain', http, logger: captured.logger, readiness: [] });
    const lifecycle = httpLifecycleOf(app);
    // A long-lived stream that ends only when draining starts, as SSE endpoints must.
    mountRawHandler(app, {
      prefix: '/stream',
      handler: (_request, raw) => {
        const response = raw as ServerResponse;
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.write(': open\n\n');
        lifecycle.onDrain(() => {
          response.end('retry: 1000\n\n');
        });
      },
    });
    const url = await listenHttpApp(app, { port: 0, host: '127.0.0.1' });
    const stream = await fetch(`${url}/stream`);
    const reader = stream.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain(': open');

    await lifecycle.drain();
    expect(app.get(DrainProbe).drained).toBe(1);
    const readyz = await fetch(`${url}/readyz`);
    expect(readyz.status).toBe(503);
    expect(await readyz.json()).toEqual({ status: 'draining' });
    expect(await (await fetch(`${url}/hello`)).json()).toMatchObject({ draining: true });

    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += new TextDecoder().decode(chunk.value);
    expect(rest).toContain('retry: 1000');

    await closeHttpApp(app, { graceMs: 5000 });
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    expect(app.get(DrainProbe).drained).toBe(1);
  });

  it('cuts connections still open after the grace time', async () => {
    const captured = captureLogger();
    const app = await createHttpApp(FixtureModule, { name: 'stuck', http, logger: captured.logger, readiness: [] });
    mountRawHandler(app, {
      prefix: '/stuck',
      handler: (_request, raw) => {
        const response = raw as ServerResponse;
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.write(': never ends\n\n');
      },
    });
    const url = await listenHttpApp(app, { port: 0, host: '127.0.0.1' });
    const stream = await fetch(`${url}/stuck`);
    const reader = stream.body!.getReader();
    await reader.read();
    await closeHttpApp(app, { graceMs: 200 });
    await expect(reader.read()).rejects.toThrow();
  });
});

describe('request logging', () => {
  it('writes one summary per request at debug, with the request id and without the query string', async () => {
    const captured = captureLogger('debug');
    const app = await createHttpApp(FixtureModule, { name: 'logging', http, logger: captured.logger, readiness: [] });
    const url = await listenHttpApp(app, { port: 0, host: '127.0.0.1' });
    try {
      await fetch(`${url}/hello?code=secret-code`, { headers: { 'x-request-id': 'log-1', authorization: 'Bearer t0ken' } });
      const summary = captured.lines.find((line) => line.msg === 'request' && line.request_id === 'log-1');
      expect(summary).toMatchObject({ method: 'GET', path: '/hello', status: 200, name: 'http-test' });
      expect(captured.text()).not.toContain('secret-code');
      expect(captured.text()).not.toContain('t0ken');
    } finally {
      await app.close();
    }
  });
});
