import { openSecret } from '@airlock/platform';
import type { UpstreamServerRecord } from '../tenants/tenant-directory.js';

/** The decrypted secrets of an upstream, by credential kind (the JSON sealed in `secrets_encrypted`). */
export interface UpstreamSecrets {
  /** static_header */
  header?: { name: string; value: string };
  /** client_credentials and token_exchange: the gateway's client at the upstream's authorization server. */
  tokenUrl?: string;
  clientId?: string;
  clientSecret?: string;
  scope?: string;
  resource?: string;
  /** stdio: extra environment for the child process. */
  env?: Record<string, string>;
}

/** The sealing context of an upstream's secrets: a ciphertext moved to another row does not open. */
export const upstreamSecretContext = (server: Pick<UpstreamServerRecord, 'tenantId' | 'name'>) => `upstream:${server.tenantId}:${server.name}`;

export function openUpstreamSecrets(masterKey: Buffer, server: UpstreamServerRecord): UpstreamSecrets {
  if (!server.secretsEncrypted) return {};
  return JSON.parse(openSecret(masterKey, server.secretsEncrypted, upstreamSecretContext(server))) as UpstreamSecrets;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

/**
 * Headers that authenticate the gateway (never the user) to an http upstream. OAuth tokens are cached
 * until shortly before they expire. The user's own access token never leaves the gateway.
 */
export class UpstreamCredentials {
  private readonly tokens = new Map<string, CachedToken>();

  constructor(private readonly fetchImpl: typeof fetch = fetch) {}

  async headers(server: UpstreamServerRecord, secrets: UpstreamSecrets): Promise<Record<string, string>> {
    switch (server.credentialKind) {
      case 'none':
        return {};
      case 'static_header':
        if (!secrets.header) throw new Error(`upstream ${server.name}: static_header credentials without a header`);
        return { [secrets.header.name]: secrets.header.value };
      case 'client_credentials':
        return { authorization: `Bearer ${await this.token(server, secrets, new URLSearchParams({ grant_type: 'client_credentials' }), server.id)}` };
      case 'token_exchange':
        // Needs the auth server's token-exchange grant (not built yet): refused rather than faked.
        throw new Error(`upstream ${server.name}: token_exchange credentials are not supported yet`);
    }
  }

  private async token(server: UpstreamServerRecord, secrets: UpstreamSecrets, form: URLSearchParams, cacheKey: string): Promise<string> {
    const cached = this.tokens.get(cacheKey);
    if (cached && cached.expiresAt - 30_000 > Date.now()) return cached.token;
    if (!secrets.tokenUrl || !secrets.clientId || !secrets.clientSecret) throw new Error(`upstream ${server.name}: OAuth credentials are incomplete`);
    if (secrets.scope) form.set('scope', secrets.scope);
    form.set('resource', secrets.resource ?? server.url ?? '');
    const response = await this.fetchImpl(secrets.tokenUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(secrets.clientId)}:${encodeURIComponent(secrets.clientSecret)}`).toString('base64')}`,
      },
      body: form,
    });
    if (!response.ok) throw new Error(`upstream ${server.name}: token endpoint answered ${response.status}`);
    const body = (await response.json()) as { access_token?: string; expires_in?: number };
    if (!body.access_token) throw new Error(`upstream ${server.name}: token endpoint returned no access_token`);
    this.tokens.set(cacheKey, { token: body.access_token, expiresAt: Date.now() + (body.expires_in ?? 300) * 1000 });
    return body.access_token;
  }
}
