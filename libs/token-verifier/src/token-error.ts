/**
 * Why a bearer token was refused, shaped for RFC 6750: `code` is the `error` of the WWW-Authenticate
 * challenge, `description` is safe to show a client (never the token, never a key or an internal URL).
 */
export type TokenErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'temporarily_unavailable';

const statusByCode: Record<TokenErrorCode, number> = {
  invalid_request: 400,
  invalid_token: 401,
  insufficient_scope: 403,
  // The verifier could not reach what it needs (the tenant's JWKS, the revoked-grant feed): not the token's fault.
  temporarily_unavailable: 503,
};

export class TokenError extends Error {
  readonly code: TokenErrorCode;
  readonly description: string;
  /** For `insufficient_scope`: the scopes the request needs, for the challenge's `scope` parameter. */
  readonly requiredScopes: readonly string[];

  constructor(code: TokenErrorCode, description: string, options: { requiredScopes?: readonly string[]; cause?: unknown } = {}) {
    super(description, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TokenError';
    this.code = code;
    this.description = description;
    this.requiredScopes = options.requiredScopes ?? [];
  }

  get status(): number {
    return statusByCode[this.code];
  }
}
