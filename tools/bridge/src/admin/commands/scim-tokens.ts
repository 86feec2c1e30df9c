import { adminRoutes } from '@airlock/contracts';
import type { AdminCommand } from '../admin-command.js';
import { formatRecord, formatTable } from '../admin-table.js';

type ScimToken = { id: string; createdAt: string; lastUsedAt: string | null };

const columns = [
  { header: 'id', value: (token: ScimToken) => token.id },
  { header: 'created', value: (token: ScimToken) => token.createdAt },
  { header: 'last used', value: (token: ScimToken) => token.lastUsedAt ?? 'never' },
];

/** `admin scim-tokens list|create|revoke <tenant>`: the bearer tokens of a tenant's SCIM provisioning client. */
export const scimTokenCommands: AdminCommand[] = [
  {
    resource: 'scim-tokens',
    action: 'list',
    synopsis: '<tenant>',
    summary: "list a tenant's SCIM bearer tokens (never the secrets)",
    positionals: ['tenant'],
    options: {},
    async run(args, _values, context) {
      const { raw, data } = await context.api.call(adminRoutes.listScimTokens, { params: { tenant: args['tenant']! } });
      if (context.json) return context.print(JSON.stringify(raw, null, 2) + '\n');
      context.print(formatTable(data.items, columns));
    },
  },
  {
    resource: 'scim-tokens',
    action: 'create',
    synopsis: '<tenant>',
    summary: "make a SCIM bearer token for the tenant's provisioning client (Okta, Entra ID); printed with --json, this once",
    positionals: ['tenant'],
    options: {},
    details: [
      'Give the provisioning client the base URL and the token (HTTP header "Authorization: Bearer <token>").',
      'Without --json the token is masked and cannot be shown again (as for client secrets): use --json.',
    ],
    async run(args, _values, context) {
      const { raw, data } = await context.api.call(adminRoutes.createScimToken, { params: { tenant: args['tenant']! }, body: {} });
      if (context.json) {
        context.note('warning: the output holds the SCIM token; the API returns it this once, so store it now');
        return context.print(JSON.stringify(raw, null, 2) + '\n');
      }
      context.print(formatRecord([['base url', data.baseUrl], ['token', '******** (shown only with --json, and only on create)'], ['id', data.id]]));
    },
  },
  {
    resource: 'scim-tokens',
    action: 'revoke',
    synopsis: '<tenant> <token-id>',
    summary: 'revoke a SCIM bearer token (requests with it are refused from now on)',
    positionals: ['tenant', 'token-id'],
    options: {},
    async run(args, _values, context) {
      await context.api.call(adminRoutes.revokeScimToken, { params: { tenant: args['tenant']!, id: args['token-id']! } });
      if (context.json) return context.print(JSON.stringify({ revoked: args['token-id'] }, null, 2) + '\n');
      context.print(formatRecord([['revoked SCIM token', args['token-id']!]]));
    },
  },
];
