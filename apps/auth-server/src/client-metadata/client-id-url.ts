import { hasControlOrSpace, isLoopbackHostname } from '../registration-policy/redirect-uri-rules.js';

export const MAX_CLIENT_ID_URL_LENGTH = 2048;

/**
 * Whether a client_id is a Client ID Metadata Document URL we will fetch (draft-ietf-oauth-client-id-
 * metadata-document §3): https, a path, no fragment, no credentials, no dot segments. With
 * `allowLoopbackHttp` (development, tests) http on a loopback host is accepted too.
 */
export function clientIdUrlProblem(clientId: string, allowLoopbackHttp: boolean): string | undefined {
  if (clientId.length > MAX_CLIENT_ID_URL_LENGTH) return 'client_id URL is too long';
  if (hasControlOrSpace(clientId, true)) return 'client_id URL contains whitespace or control characters';
  if (clientId.includes('#')) return 'client_id URL must not contain a fragment';
  const url = URL.parse(clientId);
  if (!url) return 'client_id is not a URL';
  const loopbackHttp = allowLoopbackHttp && url.protocol === 'http:' && isLoopbackHostname(url.hostname);
  if (url.protocol !== 'https:' && !loopbackHttp) return 'client_id URL must use https';
  if (url.username || url.password || /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(clientId)) return 'client_id URL must not contain credentials';
  if (url.pathname === '/' || url.pathname === '') return 'client_id URL must have a path component';
  const rawPath = clientId.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '').split(/[?#]/)[0] ?? '';
  if (rawPath.split('/').some((segment) => /^(?:\.|%2e){1,2}$/i.test(segment))) return 'client_id URL must not contain dot segments';
  return undefined;
}

export function looksLikeClientIdUrl(clientId: string): boolean {
  return /^https?:\/\//i.test(clientId);
}
