import { Catch, HttpException, type ArgumentsHost } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SCIM_CONTENT_TYPE, SCIM_PATH_PREFIX } from '@airlock/contracts';
import type { Logger } from '@airlock/observability';
import { AdminErrorShapeFilter } from '../admin/admin-error.filter.js';
import { ScimFailure, scimErrorBody } from './scim.errors.js';

const SCIM_PREFIX = `${SCIM_PATH_PREFIX.split('/t')[0]}/`;

const FRAMEWORK_DETAILS: Record<number, { scimType?: 'invalidSyntax'; detail: string }> = {
  400: { scimType: 'invalidSyntax', detail: 'the request body is not valid JSON' },
  404: { detail: 'no such SCIM endpoint' },
  405: { detail: 'method not allowed' },
  413: { detail: 'the request body is too large' },
  415: { detail: 'the request body must be application/scim+json or application/json' },
};

/**
 * On /scim/ paths every refusal is an RFC 7644 §3.12 error body (`status` as a string, `scimType` where
 * one fits): ScimFailures as thrown, framework refusals (bad JSON, 404, 413, 415) mapped, anything else a
 * bare 500 with the error in the log. Elsewhere it defers to the admin filter (and through it the shared one).
 */
@Catch()
export class ScimErrorFilter extends AdminErrorShapeFilter {
  constructor(private readonly log: Logger) {
    super(log);
  }

  override catch(exception: unknown, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<FastifyRequest | undefined>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (!request?.url.startsWith(SCIM_PREFIX) || !('send' in reply) || reply.sent) return super.catch(exception, host);
    let status: number;
    let body;
    if (exception instanceof ScimFailure) {
      status = exception.status;
      body = exception.body();
    } else {
      status = clientStatus(exception) ?? 500;
      const known = FRAMEWORK_DETAILS[status];
      if (status === 500) this.log.error({ err: exception, request_id: request.id }, 'SCIM request failed');
      body = scimErrorBody(status, known?.scimType, known?.detail ?? (status === 500 ? `internal error (request ${request.id})` : 'the request is not valid'));
    }
    if (status === 401) void reply.header('www-authenticate', 'Bearer realm="scim"');
    void reply.status(status).header('content-type', `${SCIM_CONTENT_TYPE}; charset=utf-8`).header('cache-control', 'no-store').send(JSON.stringify(body));
  }
}

function clientStatus(exception: unknown): number | undefined {
  if (typeof exception !== 'object' || exception === null) return undefined;
  const status = exception instanceof HttpException ? exception.getStatus() : (exception as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}
