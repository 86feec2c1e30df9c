import { TokenError } from './token-error.js';

// RFC 6750 section 2.1: `Bearer` then one b64token. Anything else in the header is a malformed request.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * The bearer token of an `Authorization` header; undefined when there is none (the caller answers with a
 * bare challenge), TokenError `invalid_request` when the header is malformed or repeated.
 */
export function bearerFromAuthorizationHeader(header: string | readonly string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (typeof header !== 'string') {
    if (header.length === 0) return undefined;
    if (header.length > 1) throw new TokenError('invalid_request', 'more than one Authorization header');
    return bearerFromAuthorizationHeader(header[0]);
  }
  if (header.trim() === '') return undefined;
  const match = BEARER.exec(header);
  if (!match?.[1]) throw new TokenError('invalid_request', 'the Authorization header must be "Bearer <token>"');
  return match[1];
}

/**
 * Refuses access tokens in the query string (RFC 6750 section 2.3 is not supported: URLs end up in logs,
 * histories and Referer headers). Pass the raw request URL (path and query).
 */
export function assertNoAccessTokenInQuery(rawUrl: string): void {
  const query = rawUrl.indexOf('?');
  if (query < 0) return;
  const params = new URLSearchParams(rawUrl.slice(query + 1));
  if (params.has('access_token')) throw new TokenError('invalid_request', 'access tokens are not accepted in the query string');
}
