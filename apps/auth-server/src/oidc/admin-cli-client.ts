import type { ClientMetadata } from 'oidc-provider';

/**
 * The admin CLI (`airlock admin login`): a public native client of the `admin` tenant, pre-registered so
 * that no registration is needed (the admin tenant's registration is off). RFC 8252: its redirect is the
 * loopback address on any port (oidc-provider ignores the port of a native client's loopback redirect),
 * PKCE S256 is required of every client; the token it gets is for the admin API, as the signed-in person.
 */
export const ADMIN_CLI_CLIENT_ID = 'airlock-cli';

export const adminCliClient: ClientMetadata = {
  client_id: ADMIN_CLI_CLIENT_ID,
  client_name: 'Airlock CLI',
  application_type: 'native',
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  redirect_uris: ['http://127.0.0.1/callback', 'http://[::1]/callback'],
};
