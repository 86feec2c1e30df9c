import { issuerUrl } from '@airlock/contracts';

export class SessionStoreClientError extends Error {
  constructor(
    readonly code: 'temporarily_unavailable' | 'unauthorized' | 'invalid_request' | 'not_found' | 'conflict' | 'server_error',
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'SessionStoreClientError';
  }
}

export interface ServiceTokenOptions {
  /** Base of the tenants' token endpoints (`${issuerUrl(base, tenant)}/token`): AUTH_PUBLIC_URL or an internal URL. */
  tokenBaseUrl: string;
  clientId: string;
  clientSecretFor: (tenant: string) => string;
  audience: string;
  scope: string;
  fetch: typeof globalThis.fetch;
  /** Refresh this long before expiry. */
  refreshMarginMs?: number;
}

interface CachedToken {
  value: string;
  expiresAt: number;
}

/**
 * client_credentials tokens for a service client, one per tenant, cached until shortly before they
 * expire; concurrent callers share one request.
 */
export class ServiceTokens {
  private readonly tokens = new Map<string, CachedToken>();
  private readonly pending = new Map<string, Promise<string>>();

  constructor(private readonly options: ServiceTokenOptions) {}

  async get(tenant: string): Promise<string> {
    const cached = this.tokens.get(tenant);
    if (cached && cached.expiresAt - (this.options.refreshMarginMs ?? 60_000) > Date.now()) return cached.value;
    let pending = this.pending.get(tenant);
    if (!pending) {
      pending = this.fetchToken(tenant).finally(() => this.pending.delete(tenant));
      this.pending.set(tenant, pending);
    }
    return pending;
  }

  /** Forget a token the resource refused (rotated keys, revoked client). */
  invalidate(tenant: string): void {
    this.tokens.delete(tenant);
  }

  private async fetchToken(tenant: string): Promise<string> {
    const { clientId, audience, scope } = this.options;
    const credentials = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(this.options.clientSecretFor(tenant))}`).toString('base64');
    let response: Response;
    try {
      response = await this.options.fetch(`${issuerUrl(this.options.tokenBaseUrl, tenant)}/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${credentials}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope, resource: audience }).toString(),
        signal: AbortSignal.timeout(5_000),
      });
    } catch {
      throw new SessionStoreClientError('temporarily_unavailable', 503, 'the token endpoint cannot be reached');
    }
    const body = (await response.json().catch(() => ({}))) as { access_token?: unknown; expires_in?: unknown; error?: unknown };
    if (!response.ok || typeof body.access_token !== 'string') {
      const status = response.status >= 500 ? 503 : 401;
      // The error code only: a token endpoint's description may echo what was sent.
      throw new SessionStoreClientError(status === 503 ? 'temporarily_unavailable' : 'unauthorized', status, `token request refused (${String(body.error ?? response.status)})`);
    }
    const expiresIn = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 300;
    this.tokens.set(tenant, { value: body.access_token, expiresAt: Date.now() + expiresIn * 1000 });
    return body.access_token;
  }
}
