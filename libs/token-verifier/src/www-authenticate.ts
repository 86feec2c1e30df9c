import type { TokenError } from './token-error.js';

export interface BearerChallenge {
  /** RFC 9728 protected resource metadata URL of the resource that refused the request. */
  resourceMetadata?: string;
  realm?: string;
  error?: string;
  errorDescription?: string;
  /** Scopes the resource needs (RFC 6750 `scope`), space-joined in the header. */
  scope?: readonly string[] | string;
}

// Quoted-string values: RFC 6750 allows %x20-21 / %x23-5B / %x5D-7E in error_description and scope, so
// quotes, backslashes and control characters are dropped rather than escaped.
const quoted = (value: string) => `"${value.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '')}"`;

/** `Bearer realm="...", resource_metadata="...", error="...", error_description="...", scope="..."`. */
export function buildWwwAuthenticate(challenge: BearerChallenge): string {
  const params: string[] = [];
  if (challenge.realm) params.push(`realm=${quoted(challenge.realm)}`);
  if (challenge.resourceMetadata) params.push(`resource_metadata=${quoted(challenge.resourceMetadata)}`);
  if (challenge.error) params.push(`error=${quoted(challenge.error)}`);
  if (challenge.errorDescription) params.push(`error_description=${quoted(challenge.errorDescription)}`);
  const scope = typeof challenge.scope === 'string' ? challenge.scope : challenge.scope?.join(' ');
  if (scope) params.push(`scope=${quoted(scope)}`);
  return params.length > 0 ? `Bearer ${params.join(', ')}` : 'Bearer';
}

/**
 * The challenge for a refused token. A request that carried no token gets no `error` (RFC 6750 section 3.1);
 * `temporarily_unavailable` is not a token problem and gets none either (the caller answers 503).
 */
export function challengeForTokenError(error: TokenError | undefined, options: { resourceMetadata?: string; scope?: readonly string[] | string } = {}): string {
  if (!error || error.code === 'temporarily_unavailable') return buildWwwAuthenticate({ ...options });
  const scope = error.code === 'insufficient_scope' && error.requiredScopes.length > 0 ? error.requiredScopes : options.scope;
  return buildWwwAuthenticate({ ...options, error: error.code, errorDescription: error.description, ...(scope ? { scope } : {}) });
}
