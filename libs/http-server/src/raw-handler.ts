import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '@airlock/observability';
import { rawMountContextOf } from './create-http-app.js';
import type { LaneServe } from './fast-lane.js';

export type RawRequest = IncomingMessage | Http2ServerRequest;
export type RawResponse = ServerResponse | Http2ServerResponse;
export type RawHandler = (request: RawRequest, response: RawResponse) => void | Promise<void>;

export interface RawMount {
  /** Path prefix, `/oidc` or with parameters `/t/:tenant/oidc`; the prefix itself and everything under it. */
  prefix: string;
  handler: RawHandler;
  /**
   * Serve the prefix straight from the Node server, before Fastify (see FastLane): the request id, the
   * 503 while closing, error answers and the debug line still hold, but no Fastify hook, Nest middleware,
   * CORS or security header runs for these requests. For hot endpoints that need none of them.
   */
  fastLane?: boolean;
}

/** Runs the handler; a throw or rejection is logged and answered with a generic 500 (never its text). */
function serving(handler: RawHandler, logger: Logger): LaneServe {
  return async (request, response, requestId) => {
    try {
      await handler(request, response);
    } catch (error) {
      logger.error({ err: error, request_id: requestId }, 'raw handler failed');
      if (!response.headersSent) {
        response.statusCode = 500;
        response.setHeader('content-type', 'application/json; charset=utf-8');
        response.end(JSON.stringify({ error: 'server_error', request_id: requestId }));
      } else response.end();
    }
  };
}

/**
 * Mounts a plain Node handler (oidc-provider's `callback()`, a proxy) under a path prefix. The handler
 * gets the untouched request stream: the routes live in their own Fastify context whose only content
 * type parser leaves the body unread, so Nest's JSON and form parsers never consume it. Fastify's hooks
 * that run before parsing (request id, Nest's 503 while closing, middleware) still apply, unless the
 * mount takes the fast lane.
 *
 * Call before `listenHttpApp`. Nest routes that are more specific (static segments) still win over the
 * prefix's wildcard, so `/t/:tenant/login` can be a Nest controller beside a raw `/t/:tenant`.
 * Errors the handler throws or rejects with are logged and answered with a generic 500.
 */
export function mountRawHandler(app: NestFastifyApplication, mount: RawMount): void {
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  const { logger, fastLane } = rawMountContextOf(app);
  const prefix = mount.prefix.replace(/\/+$/, '');
  const serve = serving(mount.handler, logger);
  const routes = prefix === '' ? ['/*'] : [prefix, `${prefix}/*`];
  // The Fastify routes stay with a fast lane too: requests it hands on, and `inject()`, still reach the handler.
  void fastify.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
    const route = (request: { raw: RawRequest; id: string }, reply: { hijack(): void; raw: RawResponse }) => {
      reply.hijack();
      return serve(request.raw, reply.raw, request.id);
    };
    for (const url of routes) scope.all(url, route);
  });
  if (mount.fastLane) fastLane.add(prefix, routes, serve);
}
