// Redirect URI hygiene shared by dynamic registration and Client ID Metadata Documents. Pure functions:
// the same answers whoever asks, so the rules are tested exhaustively in one place.

/** Schemes that can never be a redirect target, whatever the application type. */
const FORBIDDEN_SCHEMES = new Set(['javascript:', 'data:', 'file:', 'vbscript:', 'blob:', 'about:', 'filesystem:']);

export const MAX_REDIRECT_URI_LENGTH = 2048;
export const MAX_REDIRECT_URIS = 10;

export type RedirectUriProblem =
  | 'not_absolute_url'
  | 'too_long'
  | 'forbidden_scheme'
  | 'fragment'
  | 'wildcard'
  | 'whitespace_or_control'
  | 'userinfo'
  | 'missing_host'
  | 'http_not_loopback'
  | 'private_scheme_without_dot';

const PROBLEM_TEXT: Record<RedirectUriProblem, string> = {
  not_absolute_url: 'must be an absolute URI',
  too_long: `must be at most ${MAX_REDIRECT_URI_LENGTH} characters`,
  forbidden_scheme: 'uses a scheme that is never allowed (javascript, data, file, ...)',
  fragment: 'must not contain a fragment',
  wildcard: 'must not contain wildcards; redirect URIs are matched exactly',
  whitespace_or_control: 'must not contain whitespace, control characters or backslashes',
  userinfo: 'must not contain a user name or password',
  missing_host: 'must name a host',
  http_not_loopback: 'may use http only with a loopback host (localhost, 127.0.0.1, [::1]); use https',
  private_scheme_without_dot: 'private-use schemes must contain a dot (reverse domain name, e.g. com.example.app:/cb)',
};

export function describeRedirectUriProblem(problem: RedirectUriProblem): string {
  return PROBLEM_TEXT[problem];
}

/** C0 controls, DEL, and optionally space and backslash. */
export function hasControlOrSpace(text: string, includeSpaceAndBackslash = false): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
    if (includeSpaceAndBackslash && (code === 0x20 || code === 0x5c)) return true;
  }
  return false;
}

/** localhost, *.localhost, 127.0.0.0/8 and ::1: hosts that never leave the user's machine. */
export function isLoopbackHostname(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The first problem with one redirect URI, or undefined when it is acceptable. */
export function redirectUriProblem(uri: string): RedirectUriProblem | undefined {
  if (uri.length > MAX_REDIRECT_URI_LENGTH) return 'too_long';
  // Checked on the raw string: the URL parser would silently strip tabs/newlines and normalise '\'.
  if (hasControlOrSpace(uri, true)) return 'whitespace_or_control';
  if (uri.includes('#')) return 'fragment';
  if (uri.includes('*')) return 'wildcard';
  const url = URL.parse(uri);
  if (!url) return 'not_absolute_url';
  const scheme = url.protocol.toLowerCase();
  if (FORBIDDEN_SCHEMES.has(scheme)) return 'forbidden_scheme';
  if (url.username || url.password) return 'userinfo';
  if (scheme === 'https:') {
    return url.hostname ? undefined : 'missing_host';
  }
  if (scheme === 'http:') {
    if (!url.hostname) return 'missing_host';
    return isLoopbackHostname(url.hostname) ? undefined : 'http_not_loopback';
  }
  // Private-use URI scheme (RFC 8252 §7.1): reverse domain names only, so one app cannot claim "myapp:".
  return scheme.slice(0, -1).includes('.') ? undefined : 'private_scheme_without_dot';
}

export interface RedirectUrisVerdict {
  ok: boolean;
  /** For an error_description; names the offending position, never echoes the URI (it may carry secrets). */
  description?: string;
}

export function checkRedirectUris(uris: unknown): RedirectUrisVerdict {
  if (!Array.isArray(uris) || uris.length === 0) return { ok: false, description: 'redirect_uris must be a non-empty array' };
  if (uris.length > MAX_REDIRECT_URIS) return { ok: false, description: `redirect_uris must have at most ${MAX_REDIRECT_URIS} entries` };
  for (const [index, uri] of uris.entries()) {
    if (typeof uri !== 'string') return { ok: false, description: `redirect_uris[${index}] must be a string` };
    const problem = redirectUriProblem(uri);
    if (problem) return { ok: false, description: `redirect_uris[${index}] ${describeRedirectUriProblem(problem)}` };
  }
  return { ok: true };
}
