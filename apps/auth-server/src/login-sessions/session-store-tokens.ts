import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { importJWK, SignJWT } from 'jose';
import type { AuthServerConfig } from '@airlock/config';
import { ACCESS_TOKEN_JWT_TYPE, issuerUrl, Scopes, sessionStoreAudience } from '@airlock/contracts';
import { BoundedCache } from '@airlock/platform';
import { SessionStoreClientError, type TokenSource } from '@airlock/session-client';
import { AUTH_CONFIG } from '../infra/infra.tokens.js';
import { OidcProviderRegistry } from '../oidc/tenant-providers.service.js';
import { TenantRecords } from '../tenants/tenant-records.service.js';

/** The auth server's own client id in its service tokens (reserved: the admin API refuses it). */
export const AUTH_SERVER_CLIENT_ID = 'airlock-auth-server';

const TOKEN_TTL_SECONDS = 300;
/** A cached token is replaced this long before it expires. */
const TOKEN_SLACK_SECONDS = 60;

/**
 * The auth server's bearer tokens for the session store (the TokenSource of its SessionAdminClient). The
 * auth server is every tenant's issuer, so it signs its own `client_credentials`-shaped access token
 * (RFC 9068, audience the session store, scope `sessions:admin`) with the tenant's active ES256 key
 * instead of asking its own token endpoint over HTTP for one: no secret, no loop through the network, the
 * same verification at the session store as for any other caller.
 */
@Injectable()
export class SessionStoreTokens implements TokenSource {
  // Keys rotate without breaking these: a retired key stays published until its tokens have expired.
  private readonly tokens = new BoundedCache<string, string>(4_096, (TOKEN_TTL_SECONDS - TOKEN_SLACK_SECONDS) * 1000);
  private readonly audience: string;

  constructor(
    @Inject(AUTH_CONFIG) private readonly config: AuthServerConfig,
    private readonly registry: OidcProviderRegistry,
    tenants: TenantRecords,
  ) {
    this.audience = sessionStoreAudience(config.sessionStoreUrl);
    // A tenant deleted and created again under its slug has new keys: its old token must not be reused.
    tenants.onChange((slug) => this.invalidate(slug));
  }

  async get(slug: string): Promise<string> {
    const cached = this.tokens.get(slug);
    if (cached) return cached;
    const now = Math.floor(Date.now() / 1000);
    const jwk = (await this.registry.signingJwks(slug))?.find((key) => key.alg === 'ES256');
    if (!jwk?.kid) throw new SessionStoreClientError('server_error', 500, `no signing key for tenant ${slug}`);
    const value = await new SignJWT({ client_id: AUTH_SERVER_CLIENT_ID, scope: Scopes.sessionsAdmin })
      .setProtectedHeader({ alg: 'ES256', kid: jwk.kid, typ: ACCESS_TOKEN_JWT_TYPE })
      .setIssuer(issuerUrl(this.config.publicUrl, slug))
      .setSubject(AUTH_SERVER_CLIENT_ID)
      .setAudience(this.audience)
      .setIssuedAt(now)
      .setExpirationTime(now + TOKEN_TTL_SECONDS)
      .setJti(randomUUID())
      .sign(await importJWK(jwk as Parameters<typeof importJWK>[0], 'ES256'));
    this.tokens.set(slug, value);
    return value;
  }

  invalidate(slug: string): void {
    this.tokens.delete(slug);
  }
}
