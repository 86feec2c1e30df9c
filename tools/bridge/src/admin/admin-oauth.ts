import { createHash, randomBytes } from 'node:crypto';
import { ApiError } from './admin-errors.js';
import { readApiError, sendRequest } from './admin-http.js';

// The OAuth requests of a person's sign-in to the admin API, as the public client `airlock-cli` of the
// reserved `admin` tenant: discovery, PKCE, the token endpoint (code and refresh grants), RFC 7009
// revocation. Token values never go into an error message.

export const ADMIN_CLI_CLIENT_ID = 'airlock-cli';
export const ADMIN_TENANT_PATH = '/t/admin';

export interface AdminTenantEndpoints {
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  revocationEndpoint: string;
  /** The admin API's audience (RFC 8707 resource): `<auth public URL>/admin/v1`, beside the issuer's `/t/admin`. */
  resource: string;
}

/** The admin tenant's OIDC discovery document, reduced to what the CLI uses. */
export async function discoverAdminTenant(authUrl: string): Promise<AdminTenantEndpoints> {
  const url = `${authUrl}${ADMIN_TENANT_PATH}/.well-known/openid-configuration`;
  const response = await sendRequest(url, { headers: { accept: 'application/json' } });
  if (!response.ok) throw await readApiError(response, 'the admin tenant discovery document');
  const document = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined;
  const text = (name: string): string => {
    const value = document?.[name];
    if (typeof value !== 'string') throw new ApiError('invalid_response', `${url} has no ${name} (is ${authUrl} an Airlock auth server?)`);
    return value;
  };
  const issuer = text('issuer');
  if (!issuer.endsWith(ADMIN_TENANT_PATH)) throw new ApiError('invalid_response', `${url} names the issuer ${issuer}, not an admin tenant`);
  return {
    issuer,
    authorizationEndpoint: text('authorization_endpoint'),
    tokenEndpoint: text('token_endpoint'),
    revocationEndpoint: text('revocation_endpoint'),
    resource: `${issuer.slice(0, -ADMIN_TENANT_PATH.length)}/admin/v1`,
  };
}

/** RFC 7636 S256: a fresh verifier and its challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface IssuedTokens {
  accessToken: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  refreshToken: string | undefined;
  scope: string | undefined;
}

/** A grant at the token endpoint as a public client (client_id in the body, no secret). */
export async function requestTokens(tokenEndpoint: string, form: Record<string, string>): Promise<IssuedTokens> {
  const response = await sendRequest(tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ client_id: ADMIN_CLI_CLIENT_ID, ...form }).toString(),
  });
  if (!response.ok) throw await readApiError(response, 'token endpoint');
  const body = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined;
  if (typeof body?.['access_token'] !== 'string') throw new ApiError('invalid_response', `the token endpoint ${tokenEndpoint} answered without an access token`);
  const expiresIn = typeof body['expires_in'] === 'number' ? body['expires_in'] : 60;
  return {
    accessToken: body['access_token'],
    expiresAt: Date.now() + expiresIn * 1000,
    refreshToken: typeof body['refresh_token'] === 'string' ? body['refresh_token'] : undefined,
    scope: typeof body['scope'] === 'string' ? body['scope'] : undefined,
  };
}

/** RFC 7009. An unknown or expired token is answered 200 as well: only a refusal of the request is an error. */
export async function revokeToken(revocationEndpoint: string, token: string, hint: 'refresh_token' | 'access_token'): Promise<void> {
  const response = await sendRequest(revocationEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ client_id: ADMIN_CLI_CLIENT_ID, token, token_type_hint: hint }).toString(),
  });
  if (!response.ok) throw await readApiError(response, 'revocation endpoint');
}
