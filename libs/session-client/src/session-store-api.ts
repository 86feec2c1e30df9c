import { SpanKind, endSpan, startSpan, traceparentOf } from '@airlock/tracing';
import { SessionStoreClientError } from './service-token.js';

/** Bearer tokens for the session store, one per tenant (slug). */
export interface TokenSource {
  get(tenant: string): Promise<string>;
  /** Forget a token the session store refused (rotated keys, revoked client); the next `get` makes a new one. */
  invalidate(tenant: string): void;
}

export interface SessionStoreApiOptions {
  /** SESSION_STORE_URL. */
  sessionStoreUrl: string;
  tokens: TokenSource;
  fetch?: typeof globalThis.fetch;
  /** How long one call may take (5 s by default). */
  timeoutMs?: number;
}

/**
 * HTTP calls to the session store's `/v1/t/<tenant>/<resource>` API with the tenant's bearer token, a
 * timeout, and one retry with a new token after a 401. Every client of the store (the gateway's session
 * client, the auth server's session admin client) goes through this.
 */
export class SessionStoreApi {
  private readonly base: string;
  private readonly fetchImpl: typeof globalThis.fetch;

  constructor(private readonly options: SessionStoreApiOptions) {
    this.base = options.sessionStoreUrl.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? globalThis.fetch;
  }

  async call(tenant: string, method: string, path: string, body?: unknown, resource = 'sessions', retried = false): Promise<Response> {
    // Traced (a traced request is running here): a client span, its context in the `traceparent` header.
    const span = startSpan(`${method} /v1/t/{tenant}/${resource}`, SpanKind.CLIENT);
    const token = await this.options.tokens.get(tenant);
    let response: Response;
    try {
      const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) };
      if (span) {
        span.setAttributes({ 'http.request.method': method, 'server.address': new URL(this.base).hostname, 'airlock.tenant': tenant });
        headers['traceparent'] = traceparentOf(span);
      }
      response = await this.fetchImpl(`${this.base}/v1/t/${encodeURIComponent(tenant)}/${resource}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5_000),
      });
    } catch (error) {
      if (span) endSpan(span, error);
      throw new SessionStoreClientError('temporarily_unavailable', 503, 'the session store cannot be reached');
    }
    if (span) {
      span.setAttribute('http.response.status_code', response.status);
      endSpan(span, response.status >= 500 ? { code: String(response.status) } : undefined);
    }
    if (response.status === 401 && !retried) {
      this.options.tokens.invalidate(tenant);
      return this.call(tenant, method, path, body, resource, true);
    }
    return response;
  }

  /** The error for a response the caller did not expect. */
  async failure(response: Response): Promise<SessionStoreClientError> {
    const body = (await response.json().catch(() => ({}))) as { error?: unknown; error_description?: unknown };
    const description = typeof body.error_description === 'string' ? body.error_description : `session store answered ${response.status}`;
    const code =
      response.status === 503
        ? 'temporarily_unavailable'
        : response.status === 404
          ? 'not_found'
          : response.status === 409
            ? 'conflict'
            : response.status === 400
              ? 'invalid_request'
              : response.status === 401 || response.status === 403
                ? 'unauthorized'
                : 'server_error';
    return new SessionStoreClientError(code, response.status, description);
  }
}
