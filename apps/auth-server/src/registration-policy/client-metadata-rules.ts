import { checkRedirectUris, hasControlOrSpace, isLoopbackHostname } from './redirect-uri-rules.js';

// Metadata hygiene beyond redirect URIs, shared by DCR, admin-created clients and metadata documents.

/** Serialized size limit of a client's metadata. Real clients send well under 2 KiB. */
export const MAX_CLIENT_METADATA_BYTES = 8 * 1024;
const MAX_TEXT_FIELD = 200;
const TEXT_FIELDS = ['client_name', 'software_id', 'software_version'] as const;
const URI_FIELDS = ['client_uri', 'logo_uri', 'policy_uri', 'tos_uri', 'jwks_uri'] as const;

export interface MetadataProblem {
  error: 'invalid_redirect_uri' | 'invalid_client_metadata';
  description: string;
}

/** The first problem with a client's metadata, or undefined. Sync, so oidc-provider's validator can call it. */
export function clientMetadataProblem(metadata: Record<string, unknown>): MetadataProblem | undefined {
  const size = Buffer.byteLength(JSON.stringify(metadata), 'utf8');
  if (size > MAX_CLIENT_METADATA_BYTES) {
    return { error: 'invalid_client_metadata', description: `client metadata must be at most ${MAX_CLIENT_METADATA_BYTES} bytes` };
  }
  // Clients without redirect URIs (client_credentials only) are fine; a present list must be clean.
  if (metadata['redirect_uris'] !== undefined) {
    const verdict = checkRedirectUris(metadata['redirect_uris']);
    if (!verdict.ok) return { error: 'invalid_redirect_uri', description: verdict.description ?? 'invalid redirect_uris' };
  }
  for (const field of TEXT_FIELDS) {
    const value = metadata[field];
    if (value !== undefined && (typeof value !== 'string' || value.length > MAX_TEXT_FIELD || hasControlOrSpace(value))) {
      return { error: 'invalid_client_metadata', description: `${field} must be a string of at most ${MAX_TEXT_FIELD} printable characters` };
    }
  }
  for (const field of URI_FIELDS) {
    const value = metadata[field];
    if (value === undefined) continue;
    const url = typeof value === 'string' ? URL.parse(value) : null;
    const secure = url?.protocol === 'https:' || (url?.protocol === 'http:' && isLoopbackHostname(url.hostname));
    if (!url || !secure || url.username || url.password) {
      return { error: 'invalid_client_metadata', description: `${field} must be an https URL` };
    }
  }
  return undefined;
}

/** What a dynamically registered client may use: the code flow and its refresh tokens, nothing else. */
export const DYNAMIC_GRANT_TYPES: ReadonlySet<string> = new Set(['authorization_code', 'refresh_token']);
export const DYNAMIC_RESPONSE_TYPES: ReadonlySet<string> = new Set(['code']);

/**
 * RFC 7591/7592 requests only: an anonymous registrant must not get client_credentials or token exchange
 * (tokens with no user behind them), nor implicit or password. Admin-created clients may.
 */
export function dynamicRegistrationProblem(metadata: Record<string, unknown>): MetadataProblem | undefined {
  for (const [field, allowed] of [['grant_types', DYNAMIC_GRANT_TYPES], ['response_types', DYNAMIC_RESPONSE_TYPES]] as const) {
    const value = metadata[field];
    if (value === undefined) continue;
    const refused = Array.isArray(value) ? value.find((item) => typeof item !== 'string' || !allowed.has(item)) : value;
    if (refused !== undefined) {
      return { error: 'invalid_client_metadata', description: `${field} may only contain ${[...allowed].join(', ')} (got ${JSON.stringify(refused).slice(0, 100)})` };
    }
  }
  return clientMetadataProblem(metadata);
}

