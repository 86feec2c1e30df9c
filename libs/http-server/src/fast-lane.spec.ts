import { connect, type Socket } from 'node:net';
import { Controller, Get, Module, Param } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FixtureController, DrainProbe } from '../test/fixture-app.js';
import { captureLogger, h2Connect, h2Request, readAll } from '../test/helpers.js';
import { createHttpApp, listenHttpApp } from './create-http-app.js';
import { mountRawHandler } from './raw-handler.js';

const http = { host: '127.0.0.1', tls: undefined, h2c: false };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A more specific Nest route under the raw prefix, as the auth server's `/t/:tenant/account`. */
@Controller('t/:tenant')
class TenantPagesController {
  @Get('login')
  login(@Param('tenant') tenant: string) {
    return { page: 'login', tenant };
  }
}

@Module({ controllers: [FixtureController, TenantPagesController], providers: [DrainProbe] })
class LaneFixtureModule {}

/** Counts the requests that went through Fastify's lifecycle at all. */
function countFastifyRequests(app: NestFastifyApplication): { count: number } {
  const counter = { count: 0 };
  (app.getHttpAdapter().getInstance() as unknown as FastifyInstance).addHook('onRequest', (_request, _reply, done) => {
    counter.count++;
    done();
  });
  return counter;
}

describe('fast lane of a raw mount', () => {
  const captured = captureLogger('debug');
  let app: NestFastifyApplication;
  let url: string;
  let fastify: { count: number };

  beforeAll(async () => {
    app = await createHttpApp(LaneFixtureModule, { name: 'lane', http, logger: captured.logger, readiness: [] });
    fastify = countFastifyRequests(app);
    mountRawHandler(app, {
      prefix: '/t/:tenant',
      fastLane: true,
      handler: async (request, response) => {
        if (request.url?.includes('/throws')) throw new Error('secret detail of a failure');
        if (request.url?.includes('/rejects')) return Promise.reject(new Error('secret detail of a rejection'));
        const body = await readAll(request);
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ url: request.url, method: request.method, body }));
      },
    });
    url = await listenHttpApp(app, { port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await app?.close();
  });

  /** Fetches and says whether Fastify saw the request. */
  async function viaLane(path: string, init?: RequestInit): Promise<{ response: Response; fastify: boolean }> {
    const before = fastify.count;
    const response = await fetch(`${url}${path}`, init);
    return { response, fastify: fastify.count > before };
  }

  it('serves the prefix and everything under it on exact segments, without Fastify', async () => {
    for (const path of ['/t/acme', '/t/acme/', '/t/acme/mcp', '/t/acme/servers/files/mcp?x=1', '/t/acme?x=/t/']) {
      const { response, fastify: seen } = await viaLane(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ url: path, method: 'POST', body: '{"a":1}' });
      expect(seen).toBe(false);
    }
  });

  it('leaves other paths to Fastify', async () => {
    for (const path of ['/tx', '/tx/acme', '/t', '/T/acme', '/x/t/acme']) {
      const { response, fastify: seen } = await viaLane(path);
      expect([path, response.status]).toEqual([path, 404]);
      expect(seen).toBe(true);
    }
    // An empty parameter: find-my-way matches it, the lane does not; the handler still answers, via Fastify.
    const empty = await viaLane('/t/');
    expect(await empty.response.json()).toMatchObject({ url: '/t/' });
    expect(empty.fastify).toBe(true);
    const hello = await viaLane('/hello');
    expect(await hello.response.json()).toMatchObject({ hello: 'world' });
    expect(hello.fastify).toBe(true);
    const healthz = await viaLane('/healthz');
    expect(healthz.response.status).toBe(200);
    expect(healthz.fastify).toBe(true);
  });

  it('lets a more specific Nest route under the prefix win', async () => {
    const login = await viaLane('/t/acme/login');
    expect(await login.response.json()).toEqual({ page: 'login', tenant: 'acme' });
    expect(login.fastify).toBe(true);
    // Not that route (longer, another method): the raw handler, still on the lane.
    const deeper = await viaLane('/t/acme/login/more');
    expect(await deeper.response.json()).toMatchObject({ url: '/t/acme/login/more' });
    expect(deeper.fastify).toBe(false);
  });

  it('hands unusual paths to Fastify, which still routes them to the handler or refuses them', async () => {
    const encoded = await viaLane('/t/ac%20me/mcp');
    expect(await encoded.response.json()).toMatchObject({ url: '/t/ac%20me/mcp' });
    expect(encoded.fastify).toBe(true);
    const malformed = await viaLane('/t/ac%zzme/mcp');
    expect(malformed.response.status).toBe(400);
    expect(malformed.fastify).toBe(false);
    const long = await viaLane(`/t/${'a'.repeat(101)}/mcp`);
    expect(long.response.status).toBe(414);
  });

  it('generates a request id, echoes a sane incoming one and replaces an unsafe one', async () => {
    expect((await fetch(`${url}/t/acme/mcp`)).headers.get('x-request-id')).toMatch(UUID);
    expect((await fetch(`${url}/t/acme/mcp`, { headers: { 'x-request-id': 'trace-abc.123' } })).headers.get('x-request-id')).toBe('trace-abc.123');
    expect((await fetch(`${url}/t/acme/mcp`, { headers: { 'x-request-id': 'bad id"' } })).headers.get('x-request-id')).toMatch(UUID);
  });

  it('answers a throwing or rejecting handler with the generic 500 and logs the error with the request id', async () => {
    for (const path of ['/t/acme/throws', '/t/acme/rejects']) {
      const { response, fastify: seen } = await viaLane(path, { headers: { 'x-request-id': `fail-${path.length}-${path.at(-1)}` } });
      expect(seen).toBe(false);
      expect(response.status).toBe(500);
      const text = await response.text();
      expect(JSON.parse(text)).toEqual({ error: 'server_error', request_id: `fail-${path.length}-${path.at(-1)}` });
      expect(text).not.toContain('secret detail');
      expect(text).not.toContain('at ');
      const logged = captured.lines.find((line) => line.request_id === `fail-${path.length}-${path.at(-1)}` && line.msg === 'raw handler failed');
      expect(JSON.stringify(logged)).toContain('secret detail');
    }
  });

  it('writes the debug summary line without the query string', async () => {
    expect((await viaLane('/t/acme/mcp?code=secret-code', { headers: { 'x-request-id': 'lane-log-1' } })).fastify).toBe(false);
    await new Promise((resolve) => setImmediate(resolve));
    const summary = captured.lines.find((line) => line.msg === 'request' && line.request_id === 'lane-log-1');
    expect(summary).toMatchObject({ method: 'GET', path: '/t/acme/mcp', status: 200 });
    expect(captured.text()).not.toContain('secret-code');
  });
});

describe('fast lane while the app closes', () => {
  /** Two pipelined HTTP/1.1 requests on one socket; returns everything the server wrote until it closed. */
  function pipelined(socket: Socket): Promise<string> {
    return new Promise((resolve) => {
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (text += chunk));
      socket.on('close', () => resolve(text));
    });
  }

  it('answers Fastify 503 (Connection: close) to a request that arrives once closing started', async () => {
    const captured = captureLogger();
    const app = await createHttpApp(LaneFixtureModule, { name: 'lane-closing', http, logger: captured.logger, readiness: [] });
    let entered!: () => void;
    const inFlight = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    mountRawHandler(app, {
      prefix: '/t/:tenant',
      fastLane: true,
      handler: async (_request, response) => {
        entered();
        await released;
        response.end('first');
      },
    });
    const url = new URL(await listenHttpApp(app, { port: 0, host: '127.0.0.1' }));
    const socket = connect(Number(url.port), url.hostname);
    const written = pipelined(socket);
    socket.write('GET /t/acme/mcp HTTP/1.1\r\nhost: x\r\n\r\n');
    await inFlight;
    const closed = app.close();
    // The second request waits behind the first (HTTP/1.1 answers in order), so it is routed while closing.
    socket.write('GET /t/acme/mcp HTTP/1.1\r\nhost: x\r\nx-request-id: late-1\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    const text = await written;
    await closed;
    const [first, second] = text.split(/(?=HTTP\/1\.1 )/);
    expect(first).toMatch(/^HTTP\/1\.1 200/);
    expect(second).toMatch(/^HTTP\/1\.1 503/);
    expect(second).toMatch(/\r\nconnection: close\r\n/i);
    expect(second).toMatch(/\r\nx-request-id: late-1\r\n/i);
    expect(second).toContain('{"error":"Service Unavailable","message":"Service Unavailable","statusCode":503}');
  });
});

describe('fast lane over HTTP/2 (h2c)', () => {
  it('serves the prefix with the request id and leaves the rest to Fastify', async () => {
    const captured = captureLogger();
    const app = await createHttpApp(LaneFixtureModule, { name: 'lane-h2c', http: { ...http, h2c: true }, logger: captured.logger, readiness: [] });
    const fastify = countFastifyRequests(app);
    mountRawHandler(app, {
      prefix: '/t/:tenant',
      fastLane: true,
      handler: async (request, response) => {
        const body = await readAll(request);
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ url: request.url, version: request.httpVersion, body }));
      },
    });
    const url = await listenHttpApp(app, { port: 0, host: '127.0.0.1' });
    const session = await h2Connect(url);
    try {
      const raw = await h2Request(session, '/t/acme/mcp', { method: 'POST', body: 'hi', headers: { 'x-request-id': 'h2-1' } });
      expect(raw.status).toBe(200);
      expect(raw.headers['x-request-id']).toBe('h2-1');
      expect(JSON.parse(raw.body)).toEqual({ url: '/t/acme/mcp', version: '2.0', body: 'hi' });
      expect(fastify.count).toBe(0);
      const hello = await h2Request(session, '/hello');
      expect(JSON.parse(hello.body)).toMatchObject({ hello: 'world' });
      expect(fastify.count).toBe(1);
    } finally {
      session.close();
      await app.close();
    }
  });
});
