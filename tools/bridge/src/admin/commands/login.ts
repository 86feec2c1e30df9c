import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { AdminCommand, OptionValues } from '../admin-command.js';
import { stringOption } from '../admin-command.js';
import { credentialsFileOf, resolveAuthUrl } from '../admin-connection.js';
import { UsageError } from '../admin-errors.js';
import { ADMIN_CLI_CLIENT_ID, discoverAdminTenant, pkcePair, requestTokens, revokeToken } from '../admin-oauth.js';
import { formatRecord } from '../admin-table.js';
import { startLoginRedirectReceiver } from '../login-redirect-receiver.js';

// `airlock admin login` and `airlock admin logout`: a person's sign-in to the admin API, kept in the
// per-user credentials file for the commands that follow (each its own process).

const DEFAULT_TIMEOUT_SECONDS = 300;

/** Best effort, and only when asked (--open or AIRLOCK_OPEN_BROWSER=1): the URL is printed either way. */
function openBrowser(url: string): void {
  const [command, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  const child = spawn(command, args, { stdio: 'ignore', detached: true });
  child.on('error', () => undefined);
  child.unref();
}

function authUrlOf(env: NodeJS.ProcessEnv, values: OptionValues): string {
  return resolveAuthUrl(env, stringOption(values, 'url') ?? stringOption(values, 'auth-url'));
}

export function loginCommands(env: NodeJS.ProcessEnv): AdminCommand[] {
  return [
    {
      resource: 'login',
      action: '',
      synopsis: '[--url <auth server>] [--open] [--timeout <seconds>]',
      summary: 'sign in as a person (browser, password + one-time code); later commands use this sign-in',
      positionals: [],
      options: { url: { type: 'string' }, open: { type: 'boolean' }, timeout: { type: 'string' } },
      details: [
        '--url <u>         the auth server (default AIRLOCK_AUTH_URL, or --auth-url)',
        '--open            also open the URL in the default browser (or AIRLOCK_OPEN_BROWSER=1); it is printed either way',
        `--timeout <s>     how long to wait for the sign-in (default ${DEFAULT_TIMEOUT_SECONDS})`,
        'Authorization code + PKCE (S256) as the public client airlock-cli of the admin tenant, redirected to',
        'http://127.0.0.1:<a free port>/callback. The tokens (including the refresh token) are stored in',
        '$XDG_CONFIG_HOME/airlock/credentials.json (default ~/.config/airlock/credentials.json), mode 0600,',
        'one entry per auth server. AIRLOCK_ADMIN_CLIENT_ID/SECRET, when set, still take precedence.',
      ],
      async run(_args, values, context) {
        const authUrl = authUrlOf(env, values);
        const timeout = stringOption(values, 'timeout') ?? String(DEFAULT_TIMEOUT_SECONDS);
        if (!/^\d{1,5}$/.test(timeout) || Number(timeout) < 1) throw new UsageError('--timeout must be a number of seconds');
        const endpoints = await discoverAdminTenant(authUrl);
        const state = randomBytes(16).toString('base64url');
        const pkce = pkcePair();
        const receiver = await startLoginRedirectReceiver({ state, issuer: endpoints.issuer }, Number(timeout) * 1000);
        try {
          const authorization = new URL(endpoints.authorizationEndpoint);
          authorization.search = new URLSearchParams({
            client_id: ADMIN_CLI_CLIENT_ID,
            response_type: 'code',
            redirect_uri: receiver.redirectUri,
            scope: 'admin',
            resource: endpoints.resource,
            state,
            code_challenge: pkce.challenge,
            code_challenge_method: 'S256',
          }).toString();
          context.note(`open this URL in a browser to sign in (waiting for it on ${receiver.redirectUri}):`);
          context.note(authorization.href);
          if (values['open'] === true || env['AIRLOCK_OPEN_BROWSER'] === '1') openBrowser(authorization.href);
          const code = await receiver.code;
          const issued = await requestTokens(endpoints.tokenEndpoint, {
            grant_type: 'authorization_code',
            code,
            redirect_uri: receiver.redirectUri,
            code_verifier: pkce.verifier,
            resource: endpoints.resource,
          });
          const file = credentialsFileOf(env);
          file.set(authUrl, {
            tokenEndpoint: endpoints.tokenEndpoint,
            revocationEndpoint: endpoints.revocationEndpoint,
            clientId: ADMIN_CLI_CLIENT_ID,
            resource: endpoints.resource,
            accessToken: issued.accessToken,
            accessTokenExpiresAt: issued.expiresAt,
            ...(issued.refreshToken ? { refreshToken: issued.refreshToken } : {}),
          });
          const summary = { signedIn: authUrl, scope: issued.scope ?? 'admin', credentialsFile: file.path, refreshable: issued.refreshToken !== undefined };
          if (context.json) return context.print(JSON.stringify(summary, null, 2) + '\n');
          context.print(formatRecord([['signed in to', authUrl], ['scope', summary.scope], ['credentials', file.path]]));
        } finally {
          await receiver.close();
        }
      },
    },
    {
      resource: 'logout',
      action: '',
      synopsis: '[--url <auth server>]',
      summary: "revoke this user's sign-in at the auth server (RFC 7009) and forget it here",
      positionals: [],
      options: { url: { type: 'string' } },
      details: ['--url <u>         the auth server (default AIRLOCK_AUTH_URL, or --auth-url)'],
      async run(_args, values, context) {
        const authUrl = authUrlOf(env, values);
        const file = credentialsFileOf(env);
        const signIn = file.get(authUrl);
        if (!signIn) {
          context.note(`not signed in to ${authUrl}; nothing to do`);
          return;
        }
        // The refresh token first: revoking it ends the grant, and with it the access token. If the auth
        // server cannot be reached the entry stays, so that logout can be tried again.
        if (signIn.refreshToken) await revokeToken(signIn.revocationEndpoint, signIn.refreshToken, 'refresh_token');
        await revokeToken(signIn.revocationEndpoint, signIn.accessToken, 'access_token');
        file.delete(authUrl);
        if (context.json) return context.print(JSON.stringify({ signedOut: authUrl }, null, 2) + '\n');
        context.print(formatRecord([['signed out of', authUrl]]));
      },
    },
  ];
}
