import { readFileSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { Global, Module, type DynamicModule, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { HttpConfig } from '@airlock/config';
import { REQUEST_ID_HEADER, resolveRequestId, type Logger } from '@airlock/observability';
import type { Tracing } from '@airlock/tracing';
import { HttpExceptionFilter } from './exception-filter.js';
import { FastLane } from './fast-lane.js';
import { HttpLifecycle } from './http-lifecycle.js';
import { PinoNestLogger } from './nest-logger.js';
import { runReadiness, type ReadinessCheck } from './readiness.js';

export interface CreateHttpAppOptions {
  name: string;
  http: HttpConfig;
  logger: Logger;
  readiness: ReadinessCheck[];
  /** Largest accepted request body in bytes (413 above it); default 1 MiB. */
  bodyLimit?: number;
  /** Per-check bound for /readyz; default 2 s. */
  readinessTimeoutMs?: number;
  /** Told of every response (Fastify routes and fast-lane mounts), by route pattern. */
  metrics?: HttpMetricsSink;
  /**
   * OpenTelemetry: a server span per request of a Fastify route (fast-lane mounts trace themselves), named
   * `<method> <route pattern>`, continuing a `traceparent` header; health checks are not traced.
   */
  tracing?: Tracing;
}

/** Where response timings go (`@airlock/metrics` provides one); `route` is a pattern, never a raw path. */
export interface HttpMetricsSink {
  observe(method: string, route: string, status: number, seconds: number): void;
}

export type HttpProtocol = 'http1' | 'h2-tls' | 'h2c';

interface AppState {
  protocol: HttpProtocol;
  lifecycle: HttpLifecycle;
  sockets: Set<Socket>;
  logger: Logger;
  fastLane: FastLane;
}

const states = new WeakMap<NestFastifyApplication, AppState>();

function stateOf(app: NestFastifyApplication): AppState {
  const state = states.get(app);
  if (!state) throw new Error('not an app created by createHttpApp');
  return state;
}

const DEFAULT_BODY_LIMIT = 1024 * 1024;

// Node cannot speak HTTP/1.1 and cleartext HTTP/2 on one port (http2.createServer has no allowHTTP1),
// so h2c is prior-knowledge only and meant for a proxy that is told to use it (Caddy `h2c://`).
// With TLS, ALPN picks h2 or http/1.1 per connection.
function serverOptions(http: HttpConfig): { protocol: HttpProtocol; options: Record<string, unknown> } {
  if (http.tls) {
    return {
      protocol: 'h2-tls',
      options: { http2: true, https: { allowHTTP1: true, key: readFileSync(http.tls.keyFile), cert: readFileSync(http.tls.certFile) } },
    };
  }
  if (http.h2c) return { protocol: 'h2c', options: { http2: true } };
  return { protocol: 'http1', options: {} };
}

@Module({})
class HttpRootModule {}

@Global()
@Module({})
class HttpLifecycleModule {}

/**
 * A Nest application on Fastify with the platform's HTTP defaults: the protocol from config, request ids
 * (`x-request-id` accepted when sane, echoed on every response), JSON logs through the service logger,
 * `GET /healthz` and `GET /readyz`, the body limit, a global exception filter that never leaks a stack,
 * and an injectable `HttpLifecycle` for graceful shutdown. Mount raw Node handlers with
 * `mountRawHandler` before `listenHttpApp`.
 */
export async function createHttpApp(rootModule: Type<unknown>, options: CreateHttpAppOptions): Promise<NestFastifyApplication> {
  const { logger } = options;
  const lifecycle = new HttpLifecycle(logger);
  const { protocol, options: protocolOptions } = serverOptions(options.http);
  const fastifyOptions: FastifyServerOptions & Record<string, unknown> = {
    ...protocolOptions,
    loggerInstance: logger,
    // Per-request summaries are ours, at debug (see the onResponse hook).
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    genReqId: (request) => resolveRequestId(request.headers[REQUEST_ID_HEADER]),
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    return503OnClosing: true,
  };
  const adapter = new FastifyAdapter(fastifyOptions as ConstructorParameters<typeof FastifyAdapter>[0]);
  const fastify = adapter.getInstance() as unknown as FastifyInstance;
  // Before any route exists: it records them all (see FastLane).
  const fastLane = new FastLane(fastify, logger, options.metrics);

  const sockets = new Set<Socket>();
  (fastify.server as unknown as Server).on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  // On the raw response, so hijacked replies (raw handlers, SSE) carry it too.
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.raw.setHeader(REQUEST_ID_HEADER, request.id);
    done();
  });
  const tracing = options.tracing?.enabled ? options.tracing : undefined;
  if (tracing) {
    fastify.addHook('onRequest', (request, reply, done) => {
      const path = request.url.split('?', 1)[0] ?? '/';
      if (path === '/healthz' || path === '/readyz') return done();
      const route = request.routeOptions.url ?? 'unmatched';
      const trace = tracing.begin(request.headers, `${request.method} ${route}`, { 'http.request.method': request.method, 'http.route': route, 'url.path': path, 'network.protocol.name': 'http' });
      // On the raw response: hijacked replies (raw handlers such as oidc-provider, SSE) end it too.
      reply.raw.once('close', () => trace.end(reply.raw.statusCode));
      // The rest of the request (hooks, body, handler) runs with the span current.
      trace.run(done);
    });
  }
  if (protocol !== 'http1') {
    // Fastify asks to close the connection after a body it could not parse; HTTP/2 has no such header
    // (Node drops it with a warning) and resets the stream instead.
    fastify.addHook('onSend', (request, reply, _payload, done) => {
      if (request.raw.httpVersionMajor === 2) reply.removeHeader('connection');
      done();
    });
  }
  const { metrics } = options;
  fastify.addHook('onResponse', (request, reply, done) => {
    // The pattern (`/t/:tenant/...`), so tenants and ids never become label values.
    metrics?.observe(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    if (logger.isLevelEnabled('debug')) {
      // The path only: query strings can carry codes and tokens.
      const path = request.url.split('?', 1)[0];
      request.log.debug({ method: request.method, path, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
    }
    done();
  });

  // Registered on Fastify directly: no Nest guards, interceptors or global prefix apply to them.
  fastify.get('/healthz', async (_request, reply) => reply.header('cache-control', 'no-store').send({ status: 'ok' }));
  fastify.get('/readyz', async (_request, reply) => {
    void reply.header('cache-control', 'no-store');
    if (lifecycle.draining) return reply.code(503).send({ status: 'draining' });
    const report = await runReadiness(options.readiness, { timeoutMs: options.readinessTimeoutMs ?? 2000, logger });
    if (!report.ready) return reply.code(503).send({ status: 'not_ready', checks: report.checks });
    // Degraded stays 200: the service works, restarting it would not recover what was lost.
    if (report.degraded) return reply.code(200).send({ status: 'degraded', checks: report.checks, details: report.details });
    return reply.code(200).send({ status: 'ready', checks: report.checks });
  });

  const lifecycleModule: DynamicModule = {
    module: HttpLifecycleModule,
    global: true,
    providers: [{ provide: HttpLifecycle, useValue: lifecycle }],
    exports: [HttpLifecycle],
  };
  const root: DynamicModule = { module: HttpRootModule, imports: [lifecycleModule, rootModule] };
  const app = await NestFactory.create<NestFastifyApplication>(root, adapter, {
    logger: new PinoNestLogger(logger.child({ component: 'nest' })),
    abortOnError: false,
  });
  app.useGlobalFilters(new HttpExceptionFilter(logger));
  states.set(app, { protocol, lifecycle, sockets, logger, fastLane });
  return app;
}

/** Listens and returns the URL the app answers on (port 0 resolved to the real port). */
export async function listenHttpApp(app: NestFastifyApplication, options: { port: number; host: string }): Promise<string> {
  const { protocol } = stateOf(app);
  await app.listen({ port: options.port, host: options.host });
  const address = (app.getHttpServer() as Server).address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return `${protocol === 'h2-tls' ? 'https' : 'http'}://${hostPart}:${port}`;
}

export function httpLifecycleOf(app: NestFastifyApplication): HttpLifecycle {
  return stateOf(app).lifecycle;
}

/** What raw mounts need of their app (not exported from the package). */
export function rawMountContextOf(app: NestFastifyApplication): { logger: Logger; fastLane: FastLane } {
  const { logger, fastLane } = stateOf(app);
  return { logger, fastLane };
}

export function httpProtocolOf(app: NestFastifyApplication): HttpProtocol {
  return stateOf(app).protocol;
}

/**
 * Graceful stop: drain (readiness 503, drain hooks end long-lived streams), then close the server, which
 * refuses new requests and waits for in-flight ones; connections still open after `graceMs` are cut.
 */
export async function closeHttpApp(app: NestFastifyApplication, options: { graceMs?: number } = {}): Promise<void> {
  const { lifecycle, sockets } = stateOf(app);
  await lifecycle.drain();
  const timer = setTimeout(() => {
    for (const socket of sockets) socket.destroy();
  }, options.graceMs ?? 10_000);
  try {
    await app.close();
  } finally {
    clearTimeout(timer);
  }
}
