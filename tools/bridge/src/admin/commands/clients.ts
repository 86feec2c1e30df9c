import { adminRoutes } from '@airlock/contracts';
import type { AdminCommand, CommandContext } from '../admin-command.js';
import { listOption, notePage, pageDetails, pageOptions, pageQuery, stringOption } from '../admin-command.js';
import { formatRecord, formatTable } from '../admin-table.js';

type Client = { client_id: string; client_name?: string; kind: string; disabled: boolean; grant_types?: string[]; created_at: string };

const clientColumns = [
  { header: 'client id', value: (client: Client) => client.client_id },
  { header: 'name', value: (client: Client) => client.client_name },
  { header: 'kind', value: (client: Client) => client.kind },
  { header: 'disabled', value: (client: Client) => (client.disabled ? 'yes' : 'no') },
  { header: 'grants', value: (client: Client) => client.grant_types?.join(',') },
  { header: 'created', value: (client: Client) => client.created_at },
];

function setDisabled(action: 'disable' | 'enable', summary: string): AdminCommand {
  return {
    resource: 'clients',
    action,
    synopsis: '<tenant> <client-id>',
    summary,
    positionals: ['tenant', 'client-id'],
    options: {},
    async run(args, _values, context) {
      const { raw, data } = await context.api.call(adminRoutes.updateClient, { params: { tenant: args['tenant']!, clientId: args['client-id']! }, body: { disabled: action === 'disable' } });
      if (context.json) return context.print(JSON.stringify(raw, null, 2) + '\n');
      context.print(formatTable([data], clientColumns));
    },
  };
}

/** A confidential client's secret is in the create answer only: printed with --json (once, with a warning), masked otherwise. */
function printCreated(context: CommandContext, raw: unknown, created: { client_id: string; client_secret?: string | undefined }): void {
  if (context.json) {
    if (created.client_secret !== undefined) context.note('warning: the output holds the client secret; the API returns it this once, so store it now');
    return context.print(JSON.stringify(raw, null, 2) + '\n');
  }
  const secret = created.client_secret === undefined ? 'none (public client)' : '******** (shown only with --json, and only on create)';
  context.print(formatRecord([['created client', created.client_id], ['client secret', secret]]));
}

export const clientCommands: AdminCommand[] = [
  {
    resource: 'clients',
    action: 'list',
    synopsis: '<tenant> [--limit <n>] [--cursor <c>]',
    summary: "list a tenant's clients (pre-registered and dynamically registered)",
    positionals: ['tenant'],
    options: pageOptions,
    details: pageDetails,
    async run(args, values, context) {
      const { raw, data } = await context.api.call(adminRoutes.listClients, { params: { tenant: args['tenant']! }, query: pageQuery(values) });
      if (context.json) return context.print(JSON.stringify(raw, null, 2) + '\n');
      context.print(formatTable(data.items, clientColumns));
      notePage(context, data.nextCursor);
    },
  },
  {
    resource: 'clients',
    action: 'create',
    synopsis: '<tenant> <name> [--client-id <id>] [--grant <g>]... [--redirect-uri <u>]... [--scope <s>] [--public]',
    summary: 'pre-register a client (its secret is printed only with --json, once)',
    positionals: ['tenant', 'name'],
    options: { 'client-id': { type: 'string' }, grant: { type: 'string', multiple: true }, 'redirect-uri': { type: 'string', multiple: true }, scope: { type: 'string' }, public: { type: 'boolean' } },
    details: [
      '--client-id <id>     the client id (default: generated)',
      '--grant <g>          authorization_code, refresh_token, client_credentials (repeat; default the first two)',
      '--redirect-uri <u>   a redirect URI (repeat for more)',
      '--scope <s>          the scopes it may ask for, space separated',
      '--public             no secret (token_endpoint_auth_method none)',
      'Without --json the secret is masked and cannot be shown again: automation should use --json.',
    ],
    async run(args, values, context) {
      const grants = listOption(values, 'grant');
      const redirectUris = listOption(values, 'redirect-uri');
      const body = {
        client_name: args['name'],
        client_id: stringOption(values, 'client-id'),
        grant_types: grants.length > 0 ? grants : undefined,
        redirect_uris: redirectUris.length > 0 ? redirectUris : undefined,
        scope: stringOption(values, 'scope'),
        token_endpoint_auth_method: values['public'] ? 'none' : undefined,
      };
      const { raw, data } = await context.api.call(adminRoutes.createClient, { params: { tenant: args['tenant']! }, body });
      printCreated(context, raw, data);
    },
  },
  setDisabled('disable', 'disable a client (revokes every token it holds)'),
  setDisabled('enable', 'enable a disabled client'),
];
