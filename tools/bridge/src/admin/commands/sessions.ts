import { adminRoutes } from '@airlock/contracts';
import type { AdminCommand } from '../admin-command.js';
import { listOption, notePage, pageDetails, pageOptions, pageQuery, stringOption } from '../admin-command.js';
import { UsageError } from '../admin-errors.js';
import { formatRecord, formatTable } from '../admin-table.js';

type Session = { id: string; subject: string; clientId: string; servers: string[]; createdAt: string; lastSeenAt: string };

const sessionColumns = [
  { header: 'session id', value: (session: Session) => session.id },
  { header: 'subject', value: (session: Session) => session.subject },
  { header: 'client', value: (session: Session) => session.clientId },
  { header: 'servers', value: (session: Session) => session.servers.join(',') },
  { header: 'started', value: (session: Session) => session.createdAt },
  { header: 'last activity', value: (session: Session) => session.lastSeenAt },
];

const filterOptions = { client: { type: 'string' }, subject: { type: 'string' } } as const;

export const sessionCommands: AdminCommand[] = [
  {
    resource: 'sessions',
    action: 'list',
    synopsis: '<tenant> [--client <id>] [--subject <sub>] [--sort created|-created|last_seen|-last_seen] [--limit <n>] [--cursor <c>]',
    summary: "list a tenant's live MCP sessions",
    positionals: ['tenant'],
    options: { ...pageOptions, ...filterOptions, sort: { type: 'string' } },
    details: [
      '--client <id>    only this client\'s sessions',
      '--subject <sub>  only this user\'s sessions',
      '--sort <s>       created (default, oldest first), -created, last_seen, -last_seen (most recently active first)',
      ...pageDetails,
    ],
    async run(args, values, context) {
      const query = { ...pageQuery(values), client: stringOption(values, 'client'), subject: stringOption(values, 'subject'), sort: stringOption(values, 'sort') };
      const { raw, data } = await context.api.call(adminRoutes.listSessions, { params: { tenant: args['tenant']! }, query });
      if (context.json) return context.print(JSON.stringify(raw, null, 2) + '\n');
      context.print(formatTable(data.items, sessionColumns));
      notePage(context, data.nextCursor);
    },
  },
  {
    resource: 'sessions',
    action: 'revoke',
    synopsis: '<tenant> (<session-id> | --id <id>... | [--client <id>] [--subject <sub>])',
    summary: 'end one MCP session, listed ones, or every session of a client and/or a user (gateways drop them within a second)',
    positionals: ['tenant', 'session-id'],
    optionalPositionals: 1,
    options: { ...filterOptions, id: { type: 'string', multiple: true } },
    details: [
      '--id <id>        one of several sessions to end in one call (repeat, up to 200); those not live are listed',
      '--client <id>    every session of this client',
      '--subject <sub>  every session of this user (with --client: that user\'s sessions of that client)',
    ],
    async run(args, values, context) {
      const tenant = args['tenant']!;
      const sessionId = args['session-id'];
      const client = stringOption(values, 'client');
      const subject = stringOption(values, 'subject');
      const ids = listOption(values, 'id');
      if ([sessionId !== undefined, ids.length > 0, client !== undefined || subject !== undefined].filter(Boolean).length > 1) {
        throw new UsageError('give one of: a session id, --id, or --client/--subject');
      }
      if (ids.length > 0) {
        const { raw, data } = await context.api.call(adminRoutes.revokeSessions, { params: { tenant }, body: { ids } });
        if (context.json) return context.print(JSON.stringify(raw, null, 2) + '\n');
        return context.print(formatRecord([['revoked sessions', data.revoked], ['not live', (data.notLive ?? []).join(', ') || 'none']]));
      }
      if (sessionId) {
        await context.api.call(adminRoutes.revokeSession, { params: { tenant, sessionId } });
        if (context.json) return context.print(JSON.stringify({ revoked: 1 }) + '\n');
        return context.print(formatRecord([['revoked session', sessionId]]));
      }
      if (client === undefined && subject === undefined) throw new UsageError('give a session id, or --client and/or --subject');
      const { raw, data } = await context.api.call(adminRoutes.revokeSessions, { params: { tenant }, body: { client, subject } });
      if (context.json) return context.print(JSON.stringify(raw, null, 2) + '\n');
      context.print(formatRecord([['revoked sessions', data.revoked]]));
    },
  },
];
