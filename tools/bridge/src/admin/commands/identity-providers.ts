import { readFile } from 'node:fs/promises';
import { adminRoutes } from '@airlock/contracts';
import { listOption, notePage, pageDetails, pageOptions, pageQuery, stringOption, type AdminCommand, type CommandContext, type OptionValues } from '../admin-command.js';
import { UsageError } from '../admin-errors.js';
import { formatRecord, formatTable } from '../admin-table.js';

type Provider = {
  id: string;
  slug: string;
  kind: string;
  displayName: string;
  preset: string;
  emailDomains: string[];
  enabled: boolean;
  hasClientSecret: boolean;
  callbackUrl: string;
  metadataUrl: string | null;
  linkedUsers: number;
};
type Mapping = { id: string; provider: string | null; groupName: string; scopes: string[] };

/** The OpenID Connect client secret comes from the environment, never from the command line (shell history, ps). */
export const IDP_CLIENT_SECRET_ENV = 'AIRLOCK_IDP_CLIENT_SECRET';

const providerColumns = [
  { header: 'slug', value: (row: Provider) => row.slug },
  { header: 'kind', value: (row: Provider) => row.kind },
  { header: 'name', value: (row: Provider) => row.displayName },
  { header: 'preset', value: (row: Provider) => (row.kind === 'oidc' ? row.preset : '') },
  { header: 'domains', value: (row: Provider) => row.emailDomains.join(',') },
  { header: 'enabled', value: (row: Provider) => (row.enabled ? 'yes' : 'no') },
  { header: 'users', value: (row: Provider) => row.linkedUsers },
];
const mappingColumns = [
  { header: 'id', value: (row: Mapping) => row.id },
  { header: 'group', value: (row: Mapping) => row.groupName },
  { header: 'provider', value: (row: Mapping) => row.provider ?? 'any' },
  { header: 'scopes', value: (row: Mapping) => row.scopes.join(' ') },
];

function providerRecord(context: CommandContext, data: Provider, heading: string): void {
  context.print(
    formatRecord([
      [heading, data.slug],
      ['kind', data.kind],
      ['name', data.displayName],
      ...(data.kind === 'oidc' ? ([['preset', data.preset], ['client secret', data.hasClientSecret ? 'set (never shown)' : 'not set']] as Array<[string, string]>) : []),
      ['email domains', data.emailDomains.join(',')],
      ['enabled', data.enabled ? 'yes' : 'no'],
      [data.kind === 'saml' ? 'acs url' : 'redirect uri', data.callbackUrl],
      ...(data.metadataUrl ? ([['sp metadata / entity id', data.metadataUrl]] as Array<[string, string]>) : []),
      ['linked users', data.linkedUsers],
      ['id', data.id],
    ]),
  );
}

async function readText(file: string, option: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    throw new UsageError(`${option} ${file} is not a readable file`);
  }
}

/** `--config-file`: a JSON config of the provider's kind, sent as it is (the server judges it). */
async function configFile(values: OptionValues): Promise<unknown> {
  const file = stringOption(values, 'config-file');
  if (!file) return undefined;
  try {
    return JSON.parse(await readText(file, '--config-file')) as unknown;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`--config-file ${file} is not JSON`);
  }
}

const on = (value: string | undefined, option: string): boolean | undefined => {
  if (value === undefined) return undefined;
  if (value === 'on' || value === 'off') return value === 'on';
  throw new UsageError(`${option} takes on or off`);
};

/** A provider slug to its id (group mappings name providers by id). */
async function providerId(context: CommandContext, tenant: string, slug: string | undefined): Promise<string | undefined> {
  if (!slug) return undefined;
  const { data } = await context.api.call(adminRoutes.getIdentityProvider, { params: { tenant, provider: slug } });
  return data.id;
}

/**
 * `admin identity-providers ...` (OpenID Connect and SAML brokers of a tenant), `admin group-mappings ...`
 * (groups that grant scopes) and `admin tenants local-passwords <tenant> on|off`.
 */
export function identityProviderCommands(env: NodeJS.ProcessEnv): AdminCommand[] {
  const clientSecret = (required: boolean): string | undefined => {
    const value = env[IDP_CLIENT_SECRET_ENV];
    if (required && !value) throw new UsageError(`set ${IDP_CLIENT_SECRET_ENV} to the client secret the provider issued (never as an argument)`);
    return value || undefined;
  };
  return [
    {
      resource: 'identity-providers',
      action: 'list',
      synopsis: '<tenant> [--limit <n>] [--cursor <c>]',
      summary: "list a tenant's identity providers (never their secrets)",
      positionals: ['tenant'],
      options: pageOptions,
      details: pageDetails,
      async run(args, values, context) {
        const { raw, data } = await context.api.call(adminRoutes.listIdentityProviders, { params: { tenant: args['tenant']! }, query: pageQuery(values) });
        if (context.json) return context.print(JSON.stringify(raw, null, 2) + '\n');
        context.print(formatTable(data.items as Provider[], providerColumns));
        notePage(context, data.nextCursor);
      },
    },
    {
      resource: 'identity-providers',
      action: 'get',
      synopsis: '<tenant> <slug>',
      summary: 'show an identity provider and the URLs to register at it',
      positionals: ['tenant', 'slug'],
      options: {},
      async run(args, _values, context) {
        const { raw, data } = await context.api.call(adminRoutes.getIdentityProvider, { params: { tenant: args['tenant']!, provider: args['slug']! } });
        if (context.json) return context.print(JSON.stringify(raw, null, 2) + '\n');
        providerRecord(context, data as Provider, 'identity provider');
      },
    },
    {
      resource: 'identity-providers',
      action: 'add-oidc',
      synopsis: '<tenant> <slug> --issuer <url> --client-id <id> [--name <n>] [--preset generic|entra|okta|google] [--domain <d>]... [--scope <s>]... [--hosted-domain <d>]... [--disabled]',
      summary: `add an OpenID Connect provider; the client secret is read from $${IDP_CLIENT_SECRET_ENV}`,
      positionals: ['tenant', 'slug'],
      options: {
        issuer: { type: 'string' },
        'client-id': { type: 'string' },
        name: { type: 'string' },
        preset: { type: 'string' },
        domain: { type: 'string', multiple: true },
        scope: { type: 'string', multiple: true },
        'hosted-domain': { type: 'string', multiple: true },
        'groups-claim': { type: 'string' },
        disabled: { type: 'boolean' },
      },
      details: [
        '--issuer <url>          the provider\'s issuer (discovery at <issuer>/.well-known/openid-configuration)',
        '--preset <p>            entra (tenant-specific v2.0 issuer), okta, google (needs --hosted-domain), generic (default)',
        '--domain <d>            home-realm discovery: emails of this domain go to this provider (repeat)',
        '--scope <s>             requested scopes (repeat; default openid email profile)',
        '--groups-claim <c>      the ID-token claim holding groups (default: the preset\'s)',
        `$${IDP_CLIENT_SECRET_ENV}  the client secret (sealed by the server, never shown again)`,
        'Register the printed redirect uri at the provider.',
      ],
      async run(args, values, context) {
        const scopes = listOption(values, 'scope');
        const groupsClaim = stringOption(values, 'groups-claim');
        const body = {
          slug: args['slug'],
          kind: 'oidc',
          displayName: stringOption(values, 'name') ?? args['slug'],
          ...(stringOption(values, 'preset') ? { preset: stringOption(values, 'preset') } : {}),
          emailDomains: listOption(values, 'domain'),
          enabled: !values['disabled'],
          config: {
            issuer: stringOption(values, 'issuer'),
            clientId: stringOption(values, 'client-id'),
            ...(scopes.length > 0 ? { scopes } : {}),
            ...(listOption(values, 'hosted-domain').length > 0 ? { hostedDomains: listOption(values, 'hosted-domain') } : {}),
            ...(groupsClaim ? { claims: { groups: groupsClaim } } : {}),
          },
          clientSecret: clientSecret(true),
        };
        const { raw, data } = await context.api.call(adminRoutes.createIdentityProvider, { params: { tenant: args['tenant']! }, body });
        if (context.json) return context.print(JSON.stringify(raw, null, 2) + '\n');
        providerRecord(context, data as Provider, 'added identity provider');
      },
    },
    {
      resource: 'identity-providers',
      action: 'add-saml',
      synopsis: '<tenant> <slug> --entity-id <id> --sso-url <url> --cert-file <pem>... [--name <n>] [--domain <d>]... [--email-verified] [--email-attribute <a>] [--groups-attribute <a>] [--disabled]',
      summary: 'add a SAML 2.0 provider (assertions must be signed by one of the certificates)',
      positionals: ['tenant', 'slug'],
      options: {
        'entity-id': { type: 'string' },
        'sso-url': { type: 'string' },
        'cert-file': { type: 'string', multiple: true },
        name: { type: 'string' },
        domain: { type: 'string', multiple: true },
        'email-verified': { type: 'boolean' },
        'email-attribute': { type: 'string' },
        'name-attribute': { type: 'string' },
        'groups-attribute': { type: 'string' },
        disabled: { type: 'boolean' },
      },
      details: [
        "--entity-id <id>        the IdP's entity id (the Issuer of its assertions)",
        "--sso-url <url>         the IdP's SingleSignOnService URL (HTTP-Redirect binding)",
        '--cert-file <pem>       a PEM signing certificate of the IdP (repeat for a rollover, up to 4)',
        '--email-verified        the IdP vouches for the email it sends',
        '--*-attribute <a>       attribute names for email, display name, groups (default email, displayName, groups)',
        'Register the printed ACS URL and SP entity id (metadata URL) at the IdP.',
      ],
      async run(args, values, context) {
        const files = listOption(values, 'cert-file');
        if (files.length === 0) throw new UsageError('at least one --cert-file is required');
        const signingCertificates = await Promise.all(files.map((file) => readText(file, '--cert-file')));
        const attributes = {
          ...(stringOption(values, 'email-attribute') ? { email: stringOption(values, 'email-attribute') } : {}),
          ...(stringOption(values, 'name-attribute') ? { displayName: stringOption(values, 'name-attribute') } : {}),
          ...(stringOption(values, 'groups-attribute') ? { groups: stringOption(values, 'groups-attribute') } : {}),
        };
        const body = {
          slug: args['slug'],
          kind: 'saml',
          displayName: stringOption(values, 'name') ?? args['slug'],
          emailDomains: listOption(values, 'domain'),
          enabled: !values['disabled'],
          config: { idpEntityId: stringOption(values, 'entity-id'), ssoUrl: stringOption(values, 'sso-url'), signingCertificates, emailVerified: values['email-verified'] === true, attributes },
        };
        const { raw, data } = await context.api.call(adminRoutes.createIdentityProvider, { params: { tenant: args['tenant']! }, body });
        if (context.json) return context.print(JSON.stringify(raw, null, 2) + '\n');
        providerRecord(context, data as Provider, 'added identity provider');
      },
    },
    {
      resource: 'identity-providers',
      action: 'update',
      synopsis: '<tenant> <slug> [--name <n>] [--domain <d>]... [--no-domains] [--config-file <json>] [--rotate-secret]',
      summary: 'change an identity provider (a list given replaces the old one)',
      positionals: ['tenant', 'slug'],
      options: { name: { type: 'string' }, domain: { type: 'string', multiple: true }, 'no-domains': { type: 'boolean' }, 'config-file': { type: 'string' }, 'rotate-secret': { type: 'boolean' }, preset: { type: 'string' } },
      details: [
        "--config-file <json>    the provider's whole config (as `get --json` shows it) replaces the old one",
        `--rotate-secret         the new client secret from $${IDP_CLIENT_SECRET_ENV} (OpenID Connect)`,
      ],
      async run(args, values, context) {
        const domains = values['no-domains'] ? [] : listOption(values, 'domain');
        const config = await configFile(values);
        const body = {
          ...(stringOption(values, 'name') ? { displayName: stringOption(values, 'name') } : {}),
          ...(stringOption(values, 'preset') ? { preset: stringOption(values, 'preset') } : {}),
          ...(values['no-domains'] || domains.length > 0 ? { emailDomains: domains } : {}),
          ...(config !== undefined ? { config } : {}),
          ...(values['rotate-secret'] ? { clientSecret: clientSecret(true) } : {}),
        };
        const { raw, data } = await context.api.call(adminRoutes.updateIdentityProvider, { params: { tenant: args['tenant']!, provider: args['slug']! }, body });
        if (context.json) return context.print(JSON.stringify(raw, null, 2) + '\n');
        providerRecord(context, data as Provider, 'identity provider');
      },
    },
    ...(['enable', 'disable'] as const).map(
      (action): AdminCommand => ({
        resource: 'identity-providers',
        action,
        synopsis: '<tenant> <slug>',
        summary: action === 'enable' ? 'offer the provider on the login page again' : 'take the provider off the login page and refuse its sign-ins at once',
        positionals: ['tenant', 'slug'],
        options: {},
        async run(args, _values, context) {
          const { raw, data } = await context.api.call(adminRoutes.updateIdentityProvider, { params: { tenant: args['tenant']!, provider: args['slug']! }, body: { enabled: action === 'enable' } });
          if (context.json) return context.print(JSON.stringify(raw, null, 2) + '\n');
          context.print(formatTable([data as Provider], providerColumns));
        },
      }),
    ),
    {
      resource: 'identity-providers',
      action: 'remove',
      synopsis: '<tenant> <slug>',
      summary: "remove a provider with its group mappings and its users' links (its users stay)",
      positionals: ['tenant', 'slug'],
      options: {},
      async run(args, _values, context) {
        await context.api.call(adminRoutes.deleteIdentityProvider, { params: { tenant: args['tenant']!, provider: args['slug']! } });
        if (context.json) return context.print(JSON.stringify({ removed: args['slug'] }, null, 2) + '\n');
        context.print(formatRecord([['removed identity provider', args['slug']!]]));
      },
    },
    {
      resource: 'group-mappings',
      action: 'list',
      synopsis: '<tenant> [--provider <slug>] [--q <group prefix>] [--limit <n>] [--cursor <c>]',
      summary: 'list the groups that grant scopes',
      positionals: ['tenant'],
      options: { ...pageOptions, provider: { type: 'string' }, q: { type: 'string' } },
      details: ['--provider <slug>       the mappings of this provider (and those for every provider)', ...pageDetails],
      async run(args, values, context) {
        const tenant = args['tenant']!;
        const query = { ...pageQuery(values), providerId: await providerId(context, tenant, stringOption(values, 'provider')), q: stringOption(values, 'q') };
        const { raw, data } = await context.api.call(adminRoutes.listGroupMappings, { params: { tenant }, query });
        if (context.json) return context.print(JSON.stringify(raw, null, 2) + '\n');
        context.print(formatTable(data.items as Mapping[], mappingColumns));
        notePage(context, data.nextCursor);
      },
    },
    {
      resource: 'group-mappings',
      action: 'add',
      synopsis: '<tenant> <group> --scope <s>... [--provider <slug>]',
      summary: 'map a group (as the provider asserts it, or a SCIM group) to scopes',
      positionals: ['tenant', 'group'],
      options: { scope: { type: 'string', multiple: true }, provider: { type: 'string' } },
      details: ['--provider <slug>       only when this provider asserts the group (default: any provider)'],
      async run(args, values, context) {
        const tenant = args['tenant']!;
        const scopes = listOption(values, 'scope');
        if (scopes.length === 0) throw new UsageError('at least one --scope is required');
        const body = { groupName: args['group'], scopes, providerId: (await providerId(context, tenant, stringOption(values, 'provider'))) ?? null };
        const { raw, data } = await context.api.call(adminRoutes.createGroupMapping, { params: { tenant }, body });
        if (context.json) return context.print(JSON.stringify(raw, null, 2) + '\n');
        context.print(formatTable([data as Mapping], mappingColumns));
      },
    },
    {
      resource: 'group-mappings',
      action: 'update',
      synopsis: '<tenant> <id> [--group <g>] [--scope <s>]...',
      summary: "change a mapping's group name or scopes (scopes given replace the old ones)",
      positionals: ['tenant', 'id'],
      options: { group: { type: 'string' }, scope: { type: 'string', multiple: true } },
      async run(args, values, context) {
        const scopes = listOption(values, 'scope');
        const body = { ...(stringOption(values, 'group') ? { groupName: stringOption(values, 'group') } : {}), ...(scopes.length > 0 ? { scopes } : {}) };
        const { raw, data } = await context.api.call(adminRoutes.updateGroupMapping, { params: { tenant: args['tenant']!, id: args['id']! }, body });
        if (context.json) return context.print(JSON.stringify(raw, null, 2) + '\n');
        context.print(formatTable([data as Mapping], mappingColumns));
      },
    },
    {
      resource: 'group-mappings',
      action: 'remove',
      synopsis: '<tenant> <id>',
      summary: 'remove a group mapping',
      positionals: ['tenant', 'id'],
      options: {},
      async run(args, _values, context) {
        await context.api.call(adminRoutes.deleteGroupMapping, { params: { tenant: args['tenant']!, id: args['id']! } });
        if (context.json) return context.print(JSON.stringify({ removed: args['id'] }, null, 2) + '\n');
        context.print(formatRecord([['removed group mapping', args['id']!]]));
      },
    },
    {
      resource: 'tenants',
      action: 'local-passwords',
      synopsis: '<tenant> on|off',
      summary: 'allow or refuse local passwords (off: sign-in only through the identity providers)',
      positionals: ['tenant', 'state'],
      options: {},
      async run(args, _values, context) {
        const enabled = on(args['state'], 'local-passwords');
        const { raw, data } = await context.api.call(adminRoutes.updateTenant, { params: { tenant: args['tenant']! }, body: { localPasswordsEnabled: enabled } });
        if (context.json) return context.print(JSON.stringify(raw, null, 2) + '\n');
        context.print(formatRecord([['tenant', data.slug], ['local passwords', data.localPasswordsEnabled ? 'on' : 'off']]));
      },
    },
  ];
}
