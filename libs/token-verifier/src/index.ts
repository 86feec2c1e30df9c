export { ACCESS_TOKEN_ALGORITHMS, createAccessTokenVerifier } from './access-token-verifier.js';
export type { AccessTokenVerifier, AccessTokenVerifierOptions, VerifyOptions } from './access-token-verifier.js';
export { assertNoAccessTokenInQuery, bearerFromAuthorizationHeader } from './bearer.js';
export { RevokedGrantSet } from './revoked-grants.js';
export type { RevokedGrantSetOptions } from './revoked-grants.js';
export { TokenError } from './token-error.js';
export type { TokenErrorCode } from './token-error.js';
export { buildWwwAuthenticate, challengeForTokenError } from './www-authenticate.js';
export type { BearerChallenge } from './www-authenticate.js';
