import type { AccessTokenClaims } from '@airlock/contracts';
import { Scopes, parseScope, wellKnownUrl } from '@airlock/contracts';
import { TokenError, assertNoAccessTokenInQuery, bearerFromAuthorizationHeader } from '@airlock/token-verifier';
import type { AccessTokenVerifier, TokenErrorCode } from '@airlock/token-verifier';
import { GatewayError } from '../errors/gateway-error.js';
import type { GatewayErrorCode } from '../errors/gateway-error.js';

export interface AuthOutcome {
  /** The verified bearer token itself: kept in process for token exchange, never forwarded upstream. */
  bearer: string;
  claims: AccessTokenClaims;
  scopes: Set<string>;
}

const CODE_FOR_TOKEN_ERROR: Record<TokenErrorCode, GatewayErrorCode> = {
  invalid_token: 'unauthorized',
  invalid_request: 'invalid_token_request',
  insufficient_scope: 'insufficient_scope',
  temporarily_unavailable: 'auth_unavailable',
};

/** A verifier refusal as a GatewayError: the description is safe for the client (TokenError promises so). */
function refusalFor(error: TokenError, resourceMetadata: string, defaultScope: readonly string[] | undefined): GatewayError {
  const scope = error.code === 'insufficient_scope' && error.requiredScopes.length > 0 ? error.requiredScopes : defaultScope;
  return new GatewayError(CODE_FOR_TOKEN_ERROR[error.code], {
    message: error.description,
    challenge: { resourceMetadata, namesError: true, ...(scope ? { scope } : {}) },
  });
}

/**
 * Bearer authentication for one MCP endpoint (RFC 6750, RFC 9728, MCP authorization 2025-11-25): the
 * token must be for exactly this endpoint URL; the challenge points at the endpoint's resource metadata.
 */
export class BearerAuth {
  constructor(private readonly verifier: AccessTokenVerifier) {}

  async authenticate(options: { rawUrl: string; authorization: string | string[] | undefined; tenant: string; resource: string; requiredScopes?: string[] }): Promise<AuthOutcome> {
    // Only a refusal needs the resource metadata URL: built then, not for every accepted request.
    const resourceMetadata = () => wellKnownUrl(options.resource, 'oauth-protected-resource');
    try {
      assertNoAccessTokenInQuery(options.rawUrl);
      const token = bearerFromAuthorizationHeader(options.authorization);
      if (token === undefined) {
        // No token, no `error` in the challenge (RFC 6750 section 3.1).
        throw new GatewayError('unauthorized', { message: 'an access token is required', challenge: { resourceMetadata: resourceMetadata(), scope: [Scopes.mcp], namesError: false } });
      }
      const claims = await this.verifier.verify(token, { tenant: options.tenant, audience: options.resource, requiredScopes: options.requiredScopes ?? [] });
      return { bearer: token, claims, scopes: parseScope(claims.scope) };
    } catch (error) {
      if (error instanceof TokenError) throw refusalFor(error, resourceMetadata(), [Scopes.mcp]);
      throw error;
    }
  }

  /** 403 for a call that needs scopes the token lacks. */
  static insufficientScope(resource: string, required: string[]): GatewayError {
    const error = new TokenError('insufficient_scope', `the access token lacks the required scope: ${required.join(' ')}`, { requiredScopes: required });
    return refusalFor(error, wellKnownUrl(resource, 'oauth-protected-resource'), undefined);
  }
}
