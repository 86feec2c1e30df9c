import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { importJWK, SignJWT } from 'jose';
import type { AuthServerConfig } from '@airlock/config';
import { ACCESS_TOKEN_JWT_TYPE, revokeSessionsResponseSchema, Scopes, sessionSchema, sessionStoreAudience, type CreateSessionRequest, type Session } from '@airlock/contracts';
import { AUTH_CONFIG } from '../infra/infra.tokens.js';
import type { TenantRecord } from '../tenants/tenant-record.js';
import { BoundedCache } from '../tenants/bounded-cache.js';
import { OidcProviderRegistry } from '../oidc/tenant-providers.service.js';

/** The auth server's own client id in its service tokens (reserved: the admin API refuses it). */
export const AUTH_SERVER_CLIENT_ID = 'airlock-auth-server';

const TOKEN_TTL_SECONDS = 300;
/** A cached token is replaced this long before it expires. */
const TOKEN_SLACK_SECONDS = 60;
const CALL_TIMEOUT_MS = 5_000;

export class SessionStoreCallError extends Error {
  constructor(
    readonly status: number | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SessionStoreCallError';
  }
}

/**
 * Calls the session store's `/v1/t/<tenant>/sessions` API for the auth server. The auth server is every
 * tenant's issuer, so it signs its own `client_credentials`-shaped access token (RFC 9068, audience the
 * session store, scope `sessions:admin`) with the tenant's active ES256 key instead of asking its own
 * token endpoint over HTTP for one: no secret, no loop through the network, the same verification at the
 * session store as for any other caller.
 */
@Injectable()
export class SessionStoreClient {
  // Keys rotate without breaking these: a retired key stays published until its tokens have expired.
  private readonly tokens = new BoundedCache<string, string>(4_096, (TOKEN_TTL_SECONDS - TOKEN_SLACK_SECONDS) * 1000);
  private readonly audience: string;

  constructor(
    @Inject(AUTH_CONFIG) private readonly config: AuthServerConfig,
    private readonly registry: OidcProviderRegistry,
  ) {
    this.audience = sessionStoreAudience(config.sessionStoreUrl);
  }

  async createLogin(tenant: TenantRecord, request: Omit<CreateSessionRequest, 'kind'>): Promise<Session> {
    const body = await this.call(tenant, 'POST', '/sessions', { ...request, kind: 'login' });
    return sessionSchema.parse(body);
  }

  /** Ends one session; a session that is already gone counts as ended. */
  async end(tenant: TenantRecord, id: string, reason: string): Promise<void> {
    await this.call(tenant, 'DELETE', `/sessions/${encodeURIComponent(id)}`, { reason }, [404]);
  }

  /** Touches one session; false when it is no longer live (ended or idled out at the session store). */
  async touch(tenant: TenantRecord, id: string): Promise<boolean> {
    return (await this.call(tenant, 'POST', `/sessions/${encodeURIComponent(id)}/touch`, undefined, [404])) !== NOT_FOUND;
  }

  /** Ends one session; false when it was not live (never was, already ended, or another tenant's). */
  async revoke(tenant: TenantRecord, id: string, reason: string): Promise<boolean> {
    return (await this.call(tenant, 'DELETE', `/sessions/${encodeURIComponent(id)}`, { reason }, [404])) !== NOT_FOUND;
  }

  /** Ends every session of a client; returns how many were live. */
  async revokeClient(tenant: TenantRecord, clientId: string, reason: string): Promise<number> {
    return revokeSessionsResponseSchema.parse(await this.call(tenant, 'POST', '/sessions/revoke', { clientId, reason })).revoked;
  }

  /** Ends every session (MCP and login) of a subject; returns how many were live. */
  async revokeSubject(tenant: TenantRecord, subject: string, reason: string): Promise<number> {
    return revokeSessionsResponseSchema.parse(await this.call(tenant, 'POST', '/sessions/revoke', { subject, reason })).revoked;
  }

  private async call(tenant: TenantRecord, method: string, path: string, body: unknown, tolerated: number[] = []): Promise<unknown> {
    const url = `${this.config.sessionStoreUrl.replace(/\/+$/, '')}/v1/t/${encodeURIComponent(tenant.slug)}${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${await this.token(tenant)}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
      });
    } catch (error) {
      throw new SessionStoreCallError(undefined, `session store unreachable: ${method} ${path}`, { cause: error });
    }
    const text = await response.text();
    if (tolerated.includes(response.status)) return NOT_FOUND;
    if (!response.ok) throw new SessionStoreCallError(response.status, `session store answered ${response.status} to ${method} ${path}: ${text.slice(0, 200)}`);
    return text ? (JSON.parse(text) as unknown) : undefined;
  }

  private async token(tenant: TenantRecord): Promise<string> {
    const cacheKey = `${tenant.slug} ${tenant.id}`;
    const cached = this.tokens.get(cacheKey);
    if (cached) return cached;
    const now = Math.floor(Date.now() / 1000);
    const jwk = (await this.registry.signingJwks(tenant.slug))?.find((key) => key.alg === 'ES256');
    if (!jwk?.kid) throw new SessionStoreCallError(undefined, `no signing key for tenant ${tenant.slug}`);
    const value = await new SignJWT({ client_id: AUTH_SERVER_CLIENT_ID, scope: Scopes.sessionsAdmin })
      .setProtectedHeader({ alg: 'ES256', kid: jwk.kid, typ: ACCESS_TOKEN_JWT_TYPE })
      .setIssuer(tenant.issuer)
      .setSubject(AUTH_SERVER_CLIENT_ID)
      .setAudience(this.audience)
      .setIssuedAt(now)
      .setExpirationTime(now + TOKEN_TTL_SECONDS)
      .setJti(randomUUID())
      .sign(await importJWK(jwk as Parameters<typeof importJWK>[0], 'ES256'));
    this.tokens.set(cacheKey, value);
    return value;
  }
}

const NOT_FOUND = Symbol('not found');
