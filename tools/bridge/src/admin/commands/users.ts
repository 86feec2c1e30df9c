import { adminRoutes } from '@airlock/contracts';
import type { AdminCommand } from '../admin-command.js';
import { notePage, pageDetails, pageOptions, pageQuery, stringOption } from '../admin-command.js';
import { formatRecord, formatTable } from '../admin-table.js';

type User = { id: string; email: string; displayName: string | null; disabled: boolean; createdAt: string };

const userColumns = [
  { header: 'id', value: (user: User) => user.id },
  { header: 'email', value: (user: User) => user.email },
  { header: 'name', value: (user: User) => user.displayName ?? '' },
  { header: 'disabled', value: (user: User) => (user.disabled ? 'yes' : '') },
  { header: 'created', value: (user: User) => user.createdAt },
];

export const userCommands: AdminCommand[] = [
  {
    resource: 'users',
    action: 'list',
    synopsis: '<tenant> [--q <prefix>] [--limit <n>] [--cursor <c>]',
    summary: "list or search a tenant's users",
    positionals: ['tenant'],
    options: { ...pageOptions, q: { type: 'string' } },
    details: ['--q <prefix>     email or display-name prefix (case-insensitive)', ...pageDetails],
    async run(args, values, context) {
      const query = { ...pageQuery(values), q: stringOption(values, 'q') };
      const { raw, data } = await context.api.call(adminRoutes.listUsers, { params: { tenant: args['tenant']! }, query });
      if (context.json) return context.print(JSON.stringify(raw, null, 2) + '\n');
      context.print(formatTable(data.items as User[], userColumns));
      notePage(context, data.nextCursor);
    },
  },
  {
    resource: 'users',
    action: 'sign-out',
    synopsis: '<tenant> <user-id>',
    summary: 'sign a user out everywhere: browser sign-ins, grants (and their tokens), MCP and login sessions',
    positionals: ['tenant', 'user-id'],
    options: {},
    async run(args, _values, context) {
      const { raw, data } = await context.api.call(adminRoutes.signOutUser, { params: { tenant: args['tenant']!, id: args['user-id']! }, body: {} });
      if (context.json) return context.print(JSON.stringify(raw, null, 2) + '\n');
      context.print(formatRecord([['grants revoked', data.grantsRevoked], ['sessions ended', data.sessionsEnded ?? 'queued']]));
    },
  },
];
