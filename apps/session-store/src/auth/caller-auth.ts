import { HttpException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { decodeJwt } from 'jose';
import { issuerUrl, Scopes, sessionStoreAudience } from '@airlock/contracts';
import { assertNoAccessTokenInQuery, bearerFromAuthorizationHeader, challengeForTokenError, TokenError } from '@airlock/token-verifier';
import type { AccessTokenVerifier } from '@airlock/token-verifier';

export type SessionScope = typeof Scopes.sessionsRead | typeof Scopes.sessionsWrite | typeof Scopes.sessionsAdmin;

/** Who is calling: a client of the tenant's issuer holding a client_credentials token. */
export interface Caller {
  tenant: string;
  clientId: string;
  subject: string;
  requestId: string;
}

/** `sessions:admin` implies write and read; `sessions:write` implies read. */
const satisfying: Record<SessionScope, SessionScope[]> = {
  [Scopes.sessionsRead]: [Scopes.sessionsRead, Scopes.sessionsWrite, Scopes.sessionsAdmin],
  [Scopes.sessionsWrite]: [Scopes.sessionsWrite, Scopes.sessionsAdmin],
  [Scopes.sessionsAdmin]: [Scopes.sessionsAdmin],
};

/**
 * Authenticates session-store callers: a bearer token of the path's tenant, for the session store's
 * audience, with the scope the route needs. A valid token of another tenant gets 404, exactly like a
 * session that does not exist, so tenants cannot even learn which paths are live.
 */
export class CallerAuth {
  private readonly audience: string;

  constructor(
    private readonly verifier: AccessTokenVerifier,
    private readonly options: { sessionStoreUrl: string; authPublicUrl: string },
  ) {
    this.audience = sessionStoreAudience(options.sessionStoreUrl);
  }

  async authenticate(request: FastifyRequest, reply: FastifyReply, tenant: string, scope: SessionScope): Promise<Caller> {
    try {
      assertNoAccessTokenInQuery(request.url);
      const token = bearerFromAuthorizationHeader(request.headers.authorization);
      if (!token) throw new TokenError('invalid_token', 'an access token is required');
      let claims;
      try {
        claims = await this.verifier.verify(token, { tenant, audience: this.audience });
      } catch (error) {
        if (error instanceof TokenError && error.code === 'invalid_token' && (await this.isOtherTenantsToken(token, tenant))) throw notFound();
        throw error;
      }
      const granted = new Set((claims.scope ?? '').split(' '));
      if (!satisfying[scope].some((candidate) => granted.has(candidate))) {
        throw new TokenError('insufficient_scope', `this operation needs the ${scope} scope`, { requiredScopes: [scope] });
      }
      return { tenant, clientId: claims.client_id, subject: claims.sub, requestId: String(request.id) };
    } catch (error) {
      if (!(error instanceof TokenError)) throw error;
      if (error.code === 'temporarily_unavailable') {
        throw new HttpException({ error: 'temporarily_unavailable', error_description: error.description }, 503);
      }
      const hadToken = Boolean(request.headers.authorization);
      void reply.header('www-authenticate', challengeForTokenError(hadToken ? error : undefined));
      throw new HttpException({ error: error.code, error_description: error.description }, error.status);
    }
  }

  /** True when the token verifies as another tenant's token for this audience. */
  private async isOtherTenantsToken(token: string, tenant: string): Promise<boolean> {
    let iss: unknown;
    try {
      iss = decodeJwt(token).iss;
    } catch {
      return false;
    }
    const prefix = `${issuerUrl(this.options.authPublicUrl, '')}`;
    if (typeof iss !== 'string' || !iss.startsWith(prefix)) return false;
    const other = iss.slice(prefix.length);
    if (other === tenant || other === '') return false;
    return this.verifier.verify(token, { tenant: other, audience: this.audience }).then(
      () => true,
      () => false,
    );
  }
}

export const notFound = () => new HttpException({ error: 'not_found', error_description: 'no such session' }, 404);
