import type { AdminConnection } from './admin-api-client.js';
import { UsageError } from './admin-errors.js';
import { AdminTokenSource } from './admin-token.js';
import { CredentialsFile, defaultCredentialsPath } from './credentials-file.js';
import { SignedInTokenSource } from './signed-in-token-source.js';

// Which auth server, and who calls it: a service client's credentials from the environment when they are
// set (automation; they take precedence), else the person signed in with `airlock admin login` to that
// auth server (the credentials file's entry for it).

/** --auth-url (or login's --url), else AIRLOCK_AUTH_URL; without a trailing slash (the credentials file's key). */
export function resolveAuthUrl(env: NodeJS.ProcessEnv, option: string | undefined): string {
  const authUrl = option ?? env['AIRLOCK_AUTH_URL'];
  if (!authUrl) throw new UsageError('no auth server: set AIRLOCK_AUTH_URL or give --auth-url <url>');
  if (!URL.canParse(authUrl) || !/^https?:$/.test(new URL(authUrl).protocol)) throw new UsageError('the auth URL must be an http(s) URL');
  return authUrl.replace(/\/+$/, '');
}

export function credentialsFileOf(env: NodeJS.ProcessEnv): CredentialsFile {
  return new CredentialsFile(defaultCredentialsPath(env));
}

/** Resolved on the first API call (so a usage error needs no credentials). */
export function connectionFrom(env: NodeJS.ProcessEnv, authUrlOption: string | undefined): AdminConnection {
  let connection: ReturnType<AdminConnection> | undefined;
  return () => {
    if (connection) return connection;
    const authUrl = resolveAuthUrl(env, authUrlOption);
    const clientId = env['AIRLOCK_ADMIN_CLIENT_ID'];
    const clientSecret = env['AIRLOCK_ADMIN_CLIENT_SECRET'];
    if (clientId || clientSecret) {
      if (!clientId || !clientSecret) throw new UsageError('set both AIRLOCK_ADMIN_CLIENT_ID and AIRLOCK_ADMIN_CLIENT_SECRET (a client of the admin tenant with an admin role), or neither to use airlock admin login');
      connection = { authUrl, tokens: new AdminTokenSource(authUrl, { clientId, clientSecret }) };
      return connection;
    }
    const file = credentialsFileOf(env);
    const signIn = file.get(authUrl);
    if (!signIn) throw new UsageError(`not signed in to ${authUrl}: run airlock admin login --url ${authUrl}, or set AIRLOCK_ADMIN_CLIENT_ID and AIRLOCK_ADMIN_CLIENT_SECRET`);
    connection = { authUrl, tokens: new SignedInTokenSource(file, authUrl, signIn) };
    return connection;
  };
}
