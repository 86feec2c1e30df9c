import { adminRoutes } from '@airlock/contracts';
import type { AdminCommand, CommandContext, OptionValues } from '../admin-command.js';
import { notePage, pageDetails, pageOptions, pageQuery, requireOne, stringOption } from '../admin-command.js';
import { UsageError } from '../admin-errors.js';
import { formatRecord, formatTable } from '../admin-table.js';

// The admin principals and their roles (platform admins only): people of the `admin` tenant (password +
// TOTP), automation clients of it (client_credentials), and who holds which role for which tenants.

type RoleAssignment = {
  principalType: string;
  principalId: string;
  email: string | null;
  name: string | null;
  disabled: boolean;
  role: string;
  tenants: 'all' | string[];
  updatedAt: string;
};

/** Who holds the role: the person's email (and name), or the client's name; "(disabled)" when its role does not apply. */
function who(row: RoleAssignment): string {
  const named = row.email ? (row.name ? `${row.email} (${row.name})` : row.email) : (row.name ?? '');
  return row.disabled ? `${named} (disabled)`.trim() : named;
}

const roleColumns = [
  { header: 'type', value: (row: RoleAssignment) => (row.principalType === 'users' ? 'user' : 'client') },
  { header: 'principal', value: (row: RoleAssignment) => row.principalId },
  { header: 'who', value: who },
  { header: 'role', value: (row: RoleAssignment) => row.role },
  { header: 'tenants', value: (row: RoleAssignment) => (row.tenants === 'all' ? 'all' : row.tenants.join(',')) },
  { header: 'updated', value: (row: RoleAssignment) => row.updatedAt },
];

const printJson = (context: CommandContext, raw: unknown) => context.print(JSON.stringify(raw, null, 2) + '\n');

/** `--user <id>` or `--client <id>`: the principal of a role command. */
const principalOptions = { user: { type: 'string' }, client: { type: 'string' } } as const;
function principalOf(values: OptionValues): { principalType: string; principalId: string } {
  const which = requireOne(values, ['user', 'client']);
  return { principalType: which === 'user' ? 'users' : 'clients', principalId: String(values[which]) };
}

/** The password from --password, or from the environment variable --password-env names (kept out of `ps`). */
function passwordOf(values: OptionValues, env: NodeJS.ProcessEnv): string {
  const name = stringOption(values, 'password-env');
  const given = stringOption(values, 'password');
  if ((name === undefined) === (given === undefined)) throw new UsageError('give exactly one of --password, --password-env');
  if (given !== undefined) return given;
  const value = env[name!];
  if (value === undefined) throw new UsageError(`--password-env ${name}: not set`);
  return value;
}

function setAdminUserDisabled(action: 'disable' | 'enable', summary: string): AdminCommand {
  return {
    resource: 'admins',
    action,
    synopsis: '<id>',
    summary,
    positionals: ['id'],
    options: {},
    async run(args, _values, context) {
      const { raw, data } = await context.api.call(adminRoutes.updateAdminUser, { params: { id: args['id']! }, body: { disabled: action === 'disable' } });
      if (context.json) return printJson(context, raw);
      context.print(formatRecord([['admin', data.id], ['email', data.email], ['disabled', data.disabled ? 'yes' : 'no']]));
    },
  };
}

export function adminPrincipalCommands(env: NodeJS.ProcessEnv): AdminCommand[] {
  return [
    {
      resource: 'admins',
      action: 'create',
      synopsis: '--email <e> (--password <p> | --password-env <VAR>) [--name <display name>]',
      summary: 'create an admin person (then: admins totp, roles grant); prints its id',
      positionals: [],
      options: { email: { type: 'string' }, password: { type: 'string' }, 'password-env': { type: 'string' }, name: { type: 'string' } },
      details: ['--password-env <VAR>   read the password from this environment variable (not visible in the process list)'],
      async run(_args, values, context) {
        const body = { email: stringOption(values, 'email'), password: passwordOf(values, env), displayName: stringOption(values, 'name') };
        const { raw, data } = await context.api.call(adminRoutes.createAdminUser, { body });
        if (context.json) return printJson(context, raw);
        context.print(`${data.id}\n`);
        context.note(`created admin ${data.email}; next: airlock admin admins totp ${data.id}, then airlock admin roles grant --user ${data.id} ...`);
      },
    },
    {
      resource: 'admins',
      action: 'totp',
      synopsis: '<id>',
      summary: "enroll (or replace) an admin person's TOTP; prints the otpauth:// URI, this once",
      positionals: ['id'],
      options: {},
      details: ['The URI holds the secret: hand it to the person out of band (a QR code of it for an authenticator app).'],
      async run(args, _values, context) {
        const { raw, data } = await context.api.call(adminRoutes.enrollAdminTotp, { params: { id: args['id']! }, body: {} });
        if (!context.json) context.note('warning: the output holds the TOTP secret; the API returns it this once');
        if (context.json) return printJson(context, raw);
        context.print(`${data.otpauth_uri}\n`);
      },
    },
    {
      resource: 'admins',
      action: 'list',
      synopsis: '[--q <prefix>] [--limit <n>] [--cursor <c>]',
      summary: 'list or search the admin people (with or without a role)',
      positionals: [],
      options: { ...pageOptions, q: { type: 'string' } },
      details: ['--q <prefix>     email or display-name prefix (case-insensitive)', ...pageDetails],
      async run(_args, values, context) {
        const { raw, data } = await context.api.call(adminRoutes.listAdminUsers, { query: { ...pageQuery(values), q: stringOption(values, 'q') } });
        if (context.json) return printJson(context, raw);
        context.print(
          formatTable(data.items, [
            { header: 'id', value: (user) => user.id },
            { header: 'email', value: (user) => user.email },
            { header: 'name', value: (user) => user.displayName ?? '' },
            { header: 'disabled', value: (user) => (user.disabled ? 'yes' : '') },
          ]),
        );
        notePage(context, data.nextCursor);
      },
    },
    setAdminUserDisabled('disable', 'disable an admin person (refused on its next call, its grants revoked)'),
    setAdminUserDisabled('enable', 'enable a disabled admin person'),
    {
      resource: 'roles',
      action: 'list',
      synopsis: '[--q <prefix>] [--limit <n>] [--cursor <c>]',
      summary: 'list who holds which admin role, oldest grant first',
      positionals: [],
      options: { ...pageOptions, q: { type: 'string' } },
      details: ["--q <prefix>     the person's email or name, or the client's id or name (case-insensitive)", ...pageDetails],
      async run(_args, values, context) {
        const { raw, data } = await context.api.call(adminRoutes.listRoleAssignments, { query: { ...pageQuery(values), q: stringOption(values, 'q') } });
        if (context.json) return printJson(context, raw);
        context.print(formatTable(data.items as RoleAssignment[], roleColumns));
        notePage(context, data.nextCursor);
      },
    },
    {
      resource: 'roles',
      action: 'grant',
      synopsis: '(--user <id> | --client <client-id>) --role platform-admin|tenant-admin|auditor [--tenants <a,b>|all]',
      summary: "grant (or replace) a principal's admin role",
      positionals: [],
      options: { ...principalOptions, role: { type: 'string' }, tenants: { type: 'string' } },
      details: [
        '--user <id>          an admin person (admins create prints its id)',
        '--client <id>        an automation client (admin-clients create prints its id)',
        '--tenants <a,b>      the tenants of a tenant-admin, or of an auditor (all: every tenant); none for a platform-admin',
      ],
      async run(_args, values, context) {
        const tenants = stringOption(values, 'tenants');
        const body = { role: stringOption(values, 'role'), tenants: tenants === undefined || tenants === 'all' ? tenants : tenants.split(',').map((slug) => slug.trim()) };
        const { raw, data } = await context.api.call(adminRoutes.putRoleAssignment, { params: principalOf(values), body });
        if (context.json) return printJson(context, raw);
        context.print(formatTable([data as RoleAssignment], roleColumns));
      },
    },
    {
      resource: 'roles',
      action: 'revoke',
      synopsis: '(--user <id> | --client <client-id>)',
      summary: "revoke a principal's admin role (its next call is refused)",
      positionals: [],
      options: principalOptions,
      async run(_args, values, context) {
        const principal = principalOf(values);
        await context.api.call(adminRoutes.deleteRoleAssignment, { params: principal });
        if (context.json) return printJson(context, { revoked: principal });
        context.print(formatRecord([['revoked role of', `${principal.principalType === 'users' ? 'user' : 'client'} ${principal.principalId}`]]));
      },
    },
    {
      resource: 'admin-clients',
      action: 'create',
      synopsis: '--name <name>',
      summary: 'create an automation client of the admin tenant (then: roles grant --client); prints its id and secret, this once',
      positionals: [],
      options: { name: { type: 'string' } },
      details: ['Use them as AIRLOCK_ADMIN_CLIENT_ID / AIRLOCK_ADMIN_CLIENT_SECRET once it holds a role.'],
      async run(_args, values, context) {
        const { raw, data } = await context.api.call(adminRoutes.createAdminClient, { body: { client_name: stringOption(values, 'name') } });
        context.note('warning: the output holds the client secret; the API returns it this once, so store it now');
        if (context.json) return printJson(context, raw);
        context.print(formatRecord([['client id', data.client_id], ['client secret', data.client_secret]]));
      },
    },
    {
      resource: 'admin-clients',
      action: 'disable',
      synopsis: '<client-id>',
      summary: 'disable an automation client (its tokens are revoked, its next call refused)',
      positionals: ['client-id'],
      options: {},
      async run(args, _values, context) {
        const { raw, data } = await context.api.call(adminRoutes.updateAdminClient, { params: { clientId: args['client-id']! }, body: { disabled: true } });
        if (context.json) return printJson(context, raw);
        context.print(formatRecord([['client id', data.client_id], ['disabled', data.disabled ? 'yes' : 'no']]));
      },
    },
  ];
}
