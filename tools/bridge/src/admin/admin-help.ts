import type { AdminCommand } from './admin-command.js';

// `airlock admin --help` and `airlock admin <resource> --help`.

const signIn = `Sign-in, one of:
  A person: \`airlock admin login [--url <auth-url>]\` prints a URL to open in a browser (password + one-time
  code of an admin person), then keeps the tokens, the refresh token included, in
  $XDG_CONFIG_HOME/airlock/credentials.json (default ~/.config/airlock/credentials.json; mode 0600; one
  entry per auth server). Later commands use and refresh them; \`airlock admin logout\` revokes them.
  A service client (automation; takes precedence when set): the client credentials grant at
  <auth-url>/t/admin/token, scope admin, the token kept in memory for this one run only.
    AIRLOCK_ADMIN_CLIENT_ID       a client of the admin tenant holding an admin role (admin-clients create)
    AIRLOCK_ADMIN_CLIENT_SECRET   its secret (from the environment only, never an argument)
  AIRLOCK_AUTH_URL                the auth server, e.g. https://auth.example.com (or --auth-url <url>)`;

const common = `Options of every command:
  --json              print the API's JSON answer as it is (for scripts); tables otherwise
  --auth-url <url>    instead of AIRLOCK_AUTH_URL
  --help              this help, or a resource's

Exit codes: 0 done; 1 the API or its token endpoint refused, or could not be reached; 2 a usage error
or a request that fails the API's schema (checked here, nothing is sent). Errors are one line on
stderr: airlock: <error>: <description>.`;

function line(command: AdminCommand): string {
  return ['airlock admin', command.resource, command.action, command.synopsis].filter(Boolean).join(' ');
}

export function adminHelp(commands: readonly AdminCommand[]): string {
  const width = Math.max(...commands.map((command) => `${command.resource} ${command.action}`.length));
  const list = commands.map((command) => `  ${`${command.resource} ${command.action}`.padEnd(width)}  ${command.summary}`).join('\n');
  return `usage: airlock admin <resource> <action> [arguments] [--json] [--auth-url <url>]

Manages Airlock through its admin API (/admin/v1). \`airlock admin <resource> --help\` for one resource.

commands:
${list}

${signIn}

${common}
`;
}

export function resourceHelp(resource: string, commands: readonly AdminCommand[]): string {
  const parts = commands.map((command) => [`${line(command)}`, `  ${command.summary}`, ...(command.details ?? []).map((detail) => `    ${detail}`)].join('\n'));
  return `usage (${resource}):\n\n${parts.join('\n\n')}\n\n${common}\n`;
}
