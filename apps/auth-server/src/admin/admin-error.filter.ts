import { Catch, HttpException, type ArgumentsHost } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpExceptionFilter } from '@airlock/http-server';

const ADMIN_PREFIX = '/admin/';

const DESCRIPTIONS: Record<number, string> = {
  400: 'the request body is not valid JSON',
  404: 'no such admin API route',
  405: 'method not allowed',
  413: 'the request body is too large',
  415: 'the request body must be application/json',
};

/**
 * The admin API answers every refusal as `{ error, error_description }` (admin.errors.ts). What Fastify or
 * Nest refuse before a controller runs (malformed JSON, 413, 415, an unknown route) arrives here in their
 * own `{ statusCode, message }` shape; on /admin/ paths this filter gives it the documented one and leaves
 * everything else, and every error the admin code shaped itself, to the shared filter.
 */
@Catch()
export class AdminErrorShapeFilter extends HttpExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<FastifyRequest | undefined>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const status = unshapedClientStatus(exception);
    if (status === undefined || !request?.url.startsWith(ADMIN_PREFIX) || !('send' in reply) || reply.sent) return super.catch(exception, host);
    void reply
      .status(status)
      .header('content-type', 'application/json; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(JSON.stringify({ error: status === 404 ? 'not_found' : 'invalid_request', error_description: DESCRIPTIONS[status] ?? 'the request is not valid' }));
  }
}

/** The 4xx status of an error nobody gave the admin shape (a framework error, or Nest's own HttpException). */
function unshapedClientStatus(exception: unknown): number | undefined {
  if (typeof exception !== 'object' || exception === null) return undefined;
  if (exception instanceof HttpException) {
    const payload = exception.getResponse();
    if (typeof payload === 'object' && payload !== null && 'error_description' in payload) return undefined;
  }
  const status = exception instanceof HttpException ? exception.getStatus() : (exception as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}
