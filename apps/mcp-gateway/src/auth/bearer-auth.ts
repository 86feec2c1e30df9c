import type { AccessTokenClaims } from '@airlock/contracts';
import { Scopes, parseScope, wellKnownUrl } from '@airlock/contracts';
import { TokenError, assertNoAccessTokenInQuery, bearerFromAuthorizationHeader, challengeForTokenError } from '@airlock/token-verifier';
import type { AccessTokenVerifier } from '@airlock/token-verifier';

export interface AuthOutcome {
  /** The verified token itself: kept in process for token exchange, never forwarded upstream. */
  token: string;
  claims: AccessTokenClaims;
  scopes: Set<string>;
}

/** A refusal with everything the HTTP answer needs: status, challenge header and an OAuth-shaped body. */
export class AuthRefusal extends Error {
  constructor(
    readonly status: number,
    readonly challenge: string | undefined,
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
  }
}

/**
 * Bearer authentication for one MCP endpoint (RFC 6750, RFC 9728, MCP authorization 2025-11-25): the
 * token must be for exactly this endpoint URL; the challenge points at the endpoint's resource metadata.
 */
export class BearerAuth {
  constructor(private readonly verifier: AccessTokenVerifier) {}

  async authenticate(options: { rawUrl: string; authorization: string | string[] | undefined; tenant: string; resource: string; requiredScopes?: string[] }): Promise<AuthOutcome> {
    // Only a refusal needs the challenge: built then, not for every accepted request.
    const challengeOptions = () => ({ resourceMetadata: wellKnownUrl(options.resource, 'oauth-protected-resource'), scope: [Scopes.mcp] });
    try {
      assertNoAccessTokenInQuery(options.rawUrl);
      const token = bearerFromAuthorizationHeader(options.authorization);
      if (token === undefined) throw new AuthRefusal(401, challengeForTokenError(undefined, challengeOptions()), 'invalid_token', 'an access token is required');
      const claims = await this.verifier.verify(token, { tenant: options.tenant, audience: options.resource, requiredScopes: options.requiredScopes ?? [] });
      return { token, claims, scopes: parseScope(claims.scope) };
    } catch (error) {
      if (error instanceof AuthRefusal) throw error;
      if (error instanceof TokenError) {
        const status = error.status;
        throw new AuthRefusal(status, status === 503 ? undefined : challengeForTokenError(error, challengeOptions()), error.code, error.description);
      }
      throw error;
    }
  }

  /** 403 for a call that needs scopes the token lacks. */
  static insufficientScope(resource: string, required: string[]): AuthRefusal {
    const error = new TokenError('insufficient_scope', `the access token lacks the required scope: ${required.join(' ')}`, { requiredScopes: required });
    return new AuthRefusal(403, challengeForTokenError(error, { resourceMetadata: wellKnownUrl(resource, 'oauth-protected-resource') }), error.code, error.description);
  }
}
