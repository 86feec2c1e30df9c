import type { ClientMetadata } from 'oidc-provider';

/**
 * The admin web console (served by this server under `/console`): a public browser client of the `admin`
 * tenant, pre-registered like the CLI. Code + PKCE S256 (required of every client), one exact redirect
 * derived from the configured public URL, tokens for the admin API as the signed-in person.
 */
export const ADMIN_CONSOLE_CLIENT_ID = 'airlock-console';

/** Where the console is served, below the auth server's public URL. */
export const ADMIN_CONSOLE_PATH = '/console';

export function adminConsoleRedirectUri(authPublicUrl: string): string {
  return `${authPublicUrl.replace(/\/+$/, '')}${ADMIN_CONSOLE_PATH}/callback`;
}

export function adminConsoleClient(authPublicUrl: string): ClientMetadata {
  return {
    client_id: ADMIN_CONSOLE_CLIENT_ID,
    client_name: 'Airlock admin console',
    application_type: 'web',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [adminConsoleRedirectUri(authPublicUrl)],
  };
}
