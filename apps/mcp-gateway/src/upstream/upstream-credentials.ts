import { createHash } from 'node:crypto';
import { issuerUrl, upstreamSecretContext, upstreamSecretsSchema } from '@airlock/contracts';
import type { ClientCredentialsSecrets, OAuthUserSecrets, StaticHeaderSecrets, StdioEnvSecrets } from '@airlock/contracts';
import { ServiceClients, deriveServiceClientSecret, openSecret } from '@airlock/platform';
import type { UpstreamServerRecord } from '../tenants/tenant-catalog.js';
import { AccountNotConnectedError } from './connected-account-tokens.js';
import type { ConnectedAccountTokens } from './connected-account-tokens.js';

/**
 * The opened secrets of an upstream, every field optional: which ones are there depends on the credential
 * kind (contracts' `upstreamSecretsSchema`, the shapes the admin API accepts).
 */
export type UpstreamSecrets = Partial<StaticHeaderSecrets & ClientCredentialsSecrets & StdioEnvSecrets & OAuthUserSecrets>;

/** Opens and checks a server's sealed secrets; a shape the admin API would not have accepted is an error. */
export function openUpstreamSecrets(masterKey: Buffer, server: UpstreamServerRecord): UpstreamSecrets {
  if (!server.secretsEncrypted) return {};
  const opened = upstreamSecretsSchema.safeParse(JSON.parse(openSecret(masterKey, server.secretsEncrypted, upstreamSecretContext(server.tenantId, server.name))));
  if (!opened.success) throw new Error(`upstream ${server.name}: stored secrets have an unexpected shape`);
  return opened.data;
}

/** Who the upstream call is for: the tenant and, for token exchange, the user's current token for the gateway. */
export interface CallerContext {
  tenant: string;
  bearer(): string | undefined;
  /** The user (token `sub`): whose connected account an `oauth_user` upstream is called with. */
  subject?: string | undefined;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/**
 * Headers that authenticate a call to an http upstream. The user's own token never goes upstream:
 * `static_header` sends a stored secret, `client_credentials` a token of the gateway's own client at the
 * upstream's authorization server, `token_exchange` a token the tenant's auth server issues for exactly
 * that upstream in exchange for the user's token (RFC 8693, the gateway authenticating as its service
 * client). Tokens are cached until shortly before they expire.
 */
export class UpstreamCredentials {
  private readonly tokens = new Map<string, CachedToken>();
  /** Concurrent sessions opening the same upstream share one token request. */
  private readonly pending = new Map<string, Promise<string>>();

  constructor(
    /** `egressFetch`: the policy-checked fetch for token URLs tenants configure (client_credentials). */
    private readonly options: { authBaseUrl: string; masterKey: Buffer; egressFetch: typeof fetch; accounts?: ConnectedAccountTokens },
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  /**
   * The headers of a server whose credentials never change (none, a static header), so a relay can build
   * its request headers once; undefined when they must be asked for per request (`headers`).
   */
  fixedHeaders(server: UpstreamServerRecord, secrets: UpstreamSecrets): Record<string, string> | undefined {
    if (server.credentialKind === 'none') return {};
    if (server.credentialKind === 'static_header' && secrets.header) return { [secrets.header.name]: secrets.header.value };
    return undefined;
  }

  async headers(server: UpstreamServerRecord, secrets: UpstreamSecrets, caller: CallerContext): Promise<Record<string, string>> {
    switch (server.credentialKind) {
      case 'none':
        return {};
      case 'static_header':
        if (!secrets.header) throw new Error(`upstream ${server.name}: static_header credentials without a header`);
        return { [secrets.header.name]: secrets.header.value };
      case 'client_credentials': {
        if (!secrets.tokenUrl || !secrets.clientId || !secrets.clientSecret) throw new Error(`upstream ${server.name}: client credentials are incomplete`);
        const form = new URLSearchParams({ grant_type: 'client_credentials', resource: secrets.resource ?? server.url ?? '' });
        if (secrets.scope) form.set('scope', secrets.scope);
        // The token URL is the tenant's choice: its POST (with the client secret) goes through the egress policy.
        const token = await this.token(`cc:${server.id}`, secrets.tokenUrl, { id: secrets.clientId, secret: secrets.clientSecret }, form, server.name, this.options.egressFetch);
        return { authorization: `Bearer ${token}` };
      }
      case 'token_exchange': {
        const subjectToken = caller.bearer();
        if (!subjectToken) throw new Error(`upstream ${server.name}: no user token to exchange`);
        const form = new URLSearchParams({
          grant_type: TOKEN_EXCHANGE,
          subject_token: subjectToken,
          subject_token_type: ACCESS_TOKEN_TYPE,
          requested_token_type: ACCESS_TOKEN_TYPE,
          resource: server.url ?? '',
        });
        const clientId = ServiceClients.gateway;
        const secret = deriveServiceClientSecret(this.options.masterKey, clientId, caller.tenant);
        // Keyed by the subject token: a new user token (refresh, other user) gets its own exchange.
        const key = `tx:${server.id}:${createHash('sha256').update(subjectToken).digest('base64url')}`;
        // Airlock's own auth server (config, not tenant input): outside the egress policy, which refuses it.
        const token = await this.token(key, `${issuerUrl(this.options.authBaseUrl, caller.tenant)}/token`, { id: clientId, secret }, form, server.name, this.fetchImpl);
        return { authorization: `Bearer ${token}` };
      }
      case 'oauth_user': {
        // The user's own token at the upstream (connected account), never the Airlock token.
        const accounts = this.options.accounts;
        if (!accounts) throw new Error(`upstream ${server.name}: connected accounts are not available`);
        if (!caller.subject) throw new AccountNotConnectedError(accounts.connectUrl(caller.tenant, server), server.name, 'no user');
        return { authorization: await accounts.authorization(server, caller.tenant, caller.subject) };
      }
    }
  }

  private async token(
    cacheKey: string,
    tokenUrl: string,
    client: { id: string; secret: string },
    form: URLSearchParams,
    serverName: string,
    fetchImpl: typeof fetch,
  ): Promise<string> {
    const cached = this.tokens.get(cacheKey);
    if (cached && cached.expiresAt - 30_000 > Date.now()) return cached.token;
    let pending = this.pending.get(cacheKey);
    if (!pending) {
      pending = this.request(cacheKey, tokenUrl, client, form, serverName, fetchImpl).finally(() => this.pending.delete(cacheKey));
      this.pending.set(cacheKey, pending);
    }
    return pending;
  }

  private async request(
    cacheKey: string,
    tokenUrl: string,
    client: { id: string; secret: string },
    form: URLSearchParams,
    serverName: string,
    fetchImpl: typeof fetch,
  ): Promise<string> {
    const response = await fetchImpl(tokenUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`).toString('base64')}`,
      },
      body: form,
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await response.json().catch(() => ({}))) as { access_token?: unknown; expires_in?: unknown; error?: unknown };
    if (!response.ok || typeof body.access_token !== 'string') {
      throw new Error(`upstream ${serverName}: token request refused (${typeof body.error === 'string' ? body.error : response.status})`);
    }
    const expiresIn = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 300;
    this.tokens.set(cacheKey, { token: body.access_token, expiresAt: Date.now() + expiresIn * 1000 });
    if (this.tokens.size > 10_000) this.tokens.delete(this.tokens.keys().next().value!);
    return body.access_token;
  }
}
