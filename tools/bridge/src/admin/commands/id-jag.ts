import { adminRoutes } from '@airlock/contracts';
import { listOption, stringOption, type AdminCommand, type OptionValues } from '../admin-command.js';
import { UsageError } from '../admin-errors.js';
import { formatRecord, formatTable } from '../admin-table.js';

type TrustedIssuer = { id: string; issuer: string; jwksUri: string | null; jwks: unknown; allowedClientIds: string[]; enabled: boolean; provisionUsers: boolean };
type Audience = { id: string; audience: string; resources: string[]; allowedClientIds: string[]; scopes: string[]; enabled: boolean };
type PreApproval = { clientId: string; scopes: string[]; createdBy: string; createdAt: string };

const anyIfEmpty = (list: string[]) => (list.length === 0 ? 'any' : list.join(','));

const issuerColumns = [
  { header: 'id', value: (row: TrustedIssuer) => row.id },
  { header: 'issuer', value: (row: TrustedIssuer) => row.issuer },
  { header: 'keys', value: (row: TrustedIssuer) => row.jwksUri ?? 'inline' },
  { header: 'clients', value: (row: TrustedIssuer) => anyIfEmpty(row.allowedClientIds) },
  { header: 'enabled', value: (row: TrustedIssuer) => (row.enabled ? 'yes' : 'no') },
];
const audienceColumns = [
  { header: 'id', value: (row: Audience) => row.id },
  { header: 'audience', value: (row: Audience) => row.audience },
  { header: 'resources', value: (row: Audience) => anyIfEmpty(row.resources) },
  { header: 'clients', value: (row: Audience) => anyIfEmpty(row.allowedClientIds) },
  { header: 'scopes', value: (row: Audience) => anyIfEmpty(row.scopes) },
  { header: 'enabled', value: (row: Audience) => (row.enabled ? 'yes' : 'no') },
];
const approvalColumns = [
  { header: 'client', value: (row: PreApproval) => row.clientId },
  { header: 'scopes', value: (row: PreApproval) => row.scopes.join(' ') },
  { header: 'by', value: (row: PreApproval) => row.createdBy },
  { header: 'since', value: (row: PreApproval) => row.createdAt },
];

/** `--jwks-file` holds a JWK Set (public keys); the CLI reads it, the server checks it. */
async function inlineJwks(values: OptionValues): Promise<unknown> {
  const file = stringOption(values, 'jwks-file');
  if (!file) return undefined;
  const { readFile } = await import('node:fs/promises');
  try {
    return JSON.parse(await readFile(file, 'utf8')) as unknown;
  } catch {
    throw new UsageError(`--jwks-file ${file} is not a readable JSON file`);
  }
}

const enabledFlag = (values: OptionValues) => (values['disable'] ? false : values['enable'] ? true : undefined);

/**
 * `admin trusted-issuers|id-jag-audiences|pre-approvals ...`: ID-JAG trust on both sides and clients
 * pre-approved for a tenant (no consent screen).
 */
export const idJagCommands: AdminCommand[] = [
  {
    resource: 'trusted-issuers',
    action: 'list',
    synopsis: '<tenant>',
    summary: 'list the IdPs whose ID-JAGs the tenant redeems (jwt-bearer grant)',
    positionals: ['tenant'],
    options: {},
    async run(args, _values, context) {
      const { raw, data } = await context.api.call(adminRoutes.listTrustedIssuers, { params: { tenant: args['tenant']! } });
      if (context.json) return context.print(JSON.stringify(raw, null, 2) + '\n');
      context.print(formatTable(data.items as TrustedIssuer[], issuerColumns));
    },
  },
  {
    resource: 'trusted-issuers',
    action: 'add',
    synopsis: '<tenant> <issuer> (--jwks-uri <u> | --jwks-file <f>) [--client <id>]... [--provision-users] [--disabled]',
    summary: 'trust an IdP for ID-JAGs',
    positionals: ['tenant', 'issuer'],
    options: { 'jwks-uri': { type: 'string' }, 'jwks-file': { type: 'string' }, client: { type: 'string', multiple: true }, 'provision-users': { type: 'boolean' }, disabled: { type: 'boolean' } },
    details: [
      "--jwks-uri <u>    the IdP's JWK Set URL (fetched and cached; an unknown kid refetches at most every 30 s)",
      '--jwks-file <f>   a file with the IdP\'s public JWK Set, stored inline instead',
      '--client <id>     only this client may redeem its ID-JAGs (repeat; none: any client)',
      '--provision-users an unlinked subject gets a user just in time (linked through the OpenID provider of that issuer)',
      "Otherwise the assertion's subject must be linked to a user of the tenant (federated identity by issuer and subject).",
    ],
    async run(args, values, context) {
      const jwks = await inlineJwks(values);
      const body = {
        issuer: args['issuer']!,
        ...(stringOption(values, 'jwks-uri') ? { jwksUri: stringOption(values, 'jwks-uri') } : {}),
        ...(jwks ? { jwks } : {}),
        ...(listOption(values, 'client').length > 0 ? { allowedClientIds: listOption(values, 'client') } : {}),
        ...(values['provision-users'] ? { provisionUsers: true } : {}),
        ...(values['disabled'] ? { enabled: false } : {}),
      };
      const { raw, data } = await context.api.call(adminRoutes.createTrustedIssuer, { params: { tenant: args['tenant']! }, body });
      if (context.json) return context.print(JSON.stringify(raw, null, 2) + '\n');
      context.print(formatRecord([['trusted issuer', data.issuer], ['id', data.id], ['keys', data.jwksUri ?? 'inline'], ['clients', anyIfEmpty(data.allowedClientIds)], ['provision users', data.provisionUsers ? 'yes' : 'no'], ['enabled', data.enabled ? 'yes' : 'no']]));
    },
  },
  {
    resource: 'trusted-issuers',
    action: 'update',
    synopsis: '<tenant> <id> [--jwks-uri <u>] [--jwks-file <f>] [--client <id>]... [--any-client] [--provision-users | --no-provision-users] [--enable | --disable]',
    summary: 'change a trusted IdP',
    positionals: ['tenant', 'id'],
    options: {
      'jwks-uri': { type: 'string' },
      'jwks-file': { type: 'string' },
      client: { type: 'string', multiple: true },
      'any-client': { type: 'boolean' },
      'provision-users': { type: 'boolean' },
      'no-provision-users': { type: 'boolean' },
      enable: { type: 'boolean' },
      disable: { type: 'boolean' },
    },
    async run(args, values, context) {
      const jwks = await inlineJwks(values);
      const clients = values['any-client'] ? [] : listOption(values, 'client');
      const body = {
        ...(stringOption(values, 'jwks-uri') ? { jwksUri: stringOption(values, 'jwks-uri') } : {}),
        ...(jwks ? { jwks } : {}),
        ...(values['any-client'] || clients.length > 0 ? { allowedClientIds: clients } : {}),
        ...(values['provision-users'] ? { provisionUsers: true } : values['no-provision-users'] ? { provisionUsers: false } : {}),
        ...(enabledFlag(values) !== undefined ? { enabled: enabledFlag(values) } : {}),
      };
      const { raw, data } = await context.api.call(adminRoutes.updateTrustedIssuer, { params: { tenant: args['tenant']!, id: args['id']! }, body });
      if (context.json) return context.print(JSON.stringify(raw, null, 2) + '\n');
      context.print(formatTable([data as TrustedIssuer], issuerColumns));
    },
  },
  {
    resource: 'trusted-issuers',
    action: 'remove',
    synopsis: '<tenant> <id>',
    summary: 'stop trusting an IdP',
    positionals: ['tenant', 'id'],
    options: {},
    async run(args, _values, context) {
      await context.api.call(adminRoutes.deleteTrustedIssuer, { params: { tenant: args['tenant']!, id: args['id']! } });
      if (context.json) return context.print(JSON.stringify({ removed: args['id'] }, null, 2) + '\n');
      context.print(formatRecord([['removed trusted issuer', args['id']!]]));
    },
  },
  {
    resource: 'id-jag-audiences',
    action: 'list',
    synopsis: '<tenant>',
    summary: 'list the authorization servers the tenant issues ID-JAGs for (as an IdP)',
    positionals: ['tenant'],
    options: {},
    async run(args, _values, context) {
      const { raw, data } = await context.api.call(adminRoutes.listIdJagAudiences, { params: { tenant: args['tenant']! } });
      if (context.json) return context.print(JSON.stringify(raw, null, 2) + '\n');
      context.print(formatTable(data.items as Audience[], audienceColumns));
    },
  },
  {
    resource: 'id-jag-audiences',
    action: 'add',
    synopsis: '<tenant> <audience-issuer> [--resource <u>]... [--client <id>]... [--scope <s>]... [--disabled]',
    summary: 'let the tenant issue ID-JAGs (by token exchange) for an authorization server',
    positionals: ['tenant', 'audience'],
    options: { resource: { type: 'string', multiple: true }, client: { type: 'string', multiple: true }, scope: { type: 'string', multiple: true }, disabled: { type: 'boolean' } },
    details: ['--resource, --client, --scope   limit what may be asked for (repeat each; none: no limit)'],
    async run(args, values, context) {
      const body = {
        audience: args['audience']!,
        ...(listOption(values, 'resource').length > 0 ? { resources: listOption(values, 'resource') } : {}),
        ...(listOption(values, 'client').length > 0 ? { allowedClientIds: listOption(values, 'client') } : {}),
        ...(listOption(values, 'scope').length > 0 ? { scopes: listOption(values, 'scope') } : {}),
        ...(values['disabled'] ? { enabled: false } : {}),
      };
      const { raw, data } = await context.api.call(adminRoutes.createIdJagAudience, { params: { tenant: args['tenant']! }, body });
      if (context.json) return context.print(JSON.stringify(raw, null, 2) + '\n');
      context.print(formatTable([data as Audience], audienceColumns));
    },
  },
  {
    resource: 'id-jag-audiences',
    action: 'update',
    synopsis: '<tenant> <id> [--resource <u>]... [--client <id>]... [--scope <s>]... [--enable | --disable]',
    summary: 'change what the tenant issues ID-JAGs for (a list given replaces the old one)',
    positionals: ['tenant', 'id'],
    options: { resource: { type: 'string', multiple: true }, client: { type: 'string', multiple: true }, scope: { type: 'string', multiple: true }, enable: { type: 'boolean' }, disable: { type: 'boolean' } },
    async run(args, values, context) {
      const body = {
        ...(listOption(values, 'resource').length > 0 ? { resources: listOption(values, 'resource') } : {}),
        ...(listOption(values, 'client').length > 0 ? { allowedClientIds: listOption(values, 'client') } : {}),
        ...(listOption(values, 'scope').length > 0 ? { scopes: listOption(values, 'scope') } : {}),
        ...(enabledFlag(values) !== undefined ? { enabled: enabledFlag(values) } : {}),
      };
      const { raw, data } = await context.api.call(adminRoutes.updateIdJagAudience, { params: { tenant: args['tenant']!, id: args['id']! }, body });
      if (context.json) return context.print(JSON.stringify(raw, null, 2) + '\n');
      context.print(formatTable([data as Audience], audienceColumns));
    },
  },
  {
    resource: 'id-jag-audiences',
    action: 'remove',
    synopsis: '<tenant> <id>',
    summary: 'stop issuing ID-JAGs for an authorization server',
    positionals: ['tenant', 'id'],
    options: {},
    async run(args, _values, context) {
      await context.api.call(adminRoutes.deleteIdJagAudience, { params: { tenant: args['tenant']!, id: args['id']! } });
      if (context.json) return context.print(JSON.stringify({ removed: args['id'] }, null, 2) + '\n');
      context.print(formatRecord([['removed ID-JAG audience', args['id']!]]));
    },
  },
  {
    resource: 'pre-approvals',
    action: 'list',
    synopsis: '<tenant>',
    summary: 'list the clients pre-approved for the tenant (their users see no consent screen)',
    positionals: ['tenant'],
    options: {},
    async run(args, _values, context) {
      const { raw, data } = await context.api.call(adminRoutes.listPreApprovals, { params: { tenant: args['tenant']! } });
      if (context.json) return context.print(JSON.stringify(raw, null, 2) + '\n');
      context.print(formatTable(data.items as PreApproval[], approvalColumns));
    },
  },
  {
    resource: 'pre-approvals',
    action: 'set',
    synopsis: '<tenant> <client-id> --scope <s>...',
    summary: 'pre-approve a client for these scopes (replaces an earlier pre-approval)',
    positionals: ['tenant', 'client-id'],
    options: { scope: { type: 'string', multiple: true } },
    details: ['A request for more than these scopes still shows the consent screen; every skipped screen is audited.'],
    async run(args, values, context) {
      const scopes = listOption(values, 'scope');
      if (scopes.length === 0) throw new UsageError('at least one --scope is required');
      const { raw, data } = await context.api.call(adminRoutes.putPreApproval, { params: { tenant: args['tenant']!, clientId: args['client-id']! }, body: { scopes } });
      if (context.json) return context.print(JSON.stringify(raw, null, 2) + '\n');
      context.print(formatRecord([['pre-approved client', data.clientId], ['scopes', data.scopes.join(' ')], ['by', data.createdBy]]));
    },
  },
  {
    resource: 'pre-approvals',
    action: 'remove',
    synopsis: '<tenant> <client-id>',
    summary: 'withdraw a pre-approval (consent is asked again; grants already given stay)',
    positionals: ['tenant', 'client-id'],
    options: {},
    async run(args, _values, context) {
      await context.api.call(adminRoutes.deletePreApproval, { params: { tenant: args['tenant']!, clientId: args['client-id']! } });
      if (context.json) return context.print(JSON.stringify({ removed: args['client-id'] }, null, 2) + '\n');
      context.print(formatRecord([['withdrawn pre-approval', args['client-id']!]]));
    },
  },
];
