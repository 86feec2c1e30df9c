import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';

export type RawRequest = IncomingMessage | Http2ServerRequest;
export type RawResponse = ServerResponse | Http2ServerResponse;
export type RawHandler = (request: RawRequest, response: RawResponse) => void | Promise<void>;

export interface RawMount {
  /** Path prefix, `/oidc` or with parameters `/t/:tenant/oidc`; the prefix itself and everything under it. */
  prefix: string;
  handler: RawHandler;
}

/**
 * Mounts a plain Node handler (oidc-provider's `callback()`, a proxy) under a path prefix. The handler
 * gets the untouched request stream: the routes live in their own Fastify context whose only content
 * type parser leaves the body unread, so Nest's JSON and form parsers never consume it. Fastify's hooks
 * that run before parsing (request id, Nest's 503 while closing, middleware) still apply.
 *
 * Call before `listenHttpApp`. Nest routes that are more specific (static segments) still win over the
 * prefix's wildcard, so `/t/:tenant/login` can be a Nest controller beside a raw `/t/:tenant`.
 * Errors the handler throws or rejects with are logged and answered with a generic 500.
 */
export function mountRawHandler(app: NestFastifyApplication, mount: RawMount): void {
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  const prefix = mount.prefix.replace(/\/+$/, '');
  void fastify.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
    const route = async (request: { raw: RawRequest; id: string; log: FastifyInstance['log'] }, reply: { hijack(): void; raw: RawResponse }) => {
      reply.hijack();
      try {
        await mount.handler(request.raw, reply.raw);
      } catch (error) {
        request.log.error({ err: error }, 'raw handler failed');
        if (!reply.raw.headersSent) {
          reply.raw.statusCode = 500;
          reply.raw.setHeader('content-type', 'application/json; charset=utf-8');
          reply.raw.end(JSON.stringify({ error: 'server_error', request_id: request.id }));
        } else reply.raw.end();
      }
    };
    if (prefix !== '') scope.all(prefix, route);
    scope.all(`${prefix}/*`, route);
  });
}
