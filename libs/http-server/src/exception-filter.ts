import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '@airlock/observability';

type RawResponse = ServerResponse | Http2ServerResponse;

/** A framework error (Fastify's body-too-large, bad JSON...) carries a safe client-facing status. */
function clientStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const status = (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

/**
 * The last line of defence: Nest HttpExceptions keep their status and body (apps map their own error
 * codes to those), framework 4xx errors keep their status with a plain body, and anything else becomes a
 * generic 500 carrying only the request id; the real error goes to the log. Never a stack to a client.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest | undefined>();
    const response = http.getResponse<FastifyReply | RawResponse>();
    const requestId = request?.id;

    let status: number;
    let body: unknown;
    if (exception instanceof HttpException) {
      status = exception.getStatus();
      const payload = exception.getResponse();
      body = typeof payload === 'string' ? { statusCode: status, message: payload } : payload;
      if (status >= 500) this.logger.error({ err: exception, request_id: requestId }, 'request failed');
    } else if (clientStatusOf(exception) !== undefined) {
      status = clientStatusOf(exception) ?? 400;
      const message = exception instanceof Error ? exception.message : STATUS_CODES[status];
      body = { statusCode: status, error: STATUS_CODES[status] ?? 'Error', message };
    } else {
      status = 500;
      body = { error: 'server_error', request_id: requestId };
      this.logger.error({ err: exception, request_id: requestId }, 'unhandled error');
    }
    send(response, status, body);
  }
}

function send(response: FastifyReply | RawResponse, status: number, body: unknown): void {
  if ('status' in response && 'send' in response) {
    // A hijacked reply counts as sent to Fastify although nothing may have been written yet: answer on
    // the raw response (ending it bare would tell the client the request succeeded).
    if (response.sent || response.raw.headersSent) {
      send(response.raw, status, body);
      return;
    }
    void response.status(status).header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(body));
    return;
  }
  // A raw Node response: Nest middleware run by middie, or a hijacked reply.
  if (response.headersSent) {
    response.end();
    return;
  }
  response.statusCode = status;
  response.setHeader('content-type', 'application/json; charset=utf-8');
  response.end(JSON.stringify(body));
}
