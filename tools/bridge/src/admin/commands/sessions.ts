import { adminRoutes } from '@airlock/contracts';
import type { AdminCommand } from '../admin-command.js';
import { notePage, pageDetails, pageOptions, pageQuery, stringOption } from '../admin-command.js';
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
    synopsis: '<tenant> [--client <id>] [--subject <sub>] [--limit <n>] [--cursor <c>]',
    summary: "list a tenant's live MCP sessions",
    positionals: ['tenant'],
    options: { ...pageOptions, ...filterOptions },
    details: ['--client <id>    only this client\'s sessions', '--subject <sub>  only this user\'s sessions', ...pageDetails],
    async run(args, values, context) {
      const query = { ...pageQuery(values), client: stringOption(values, 'client'), subject: stringOption(values, 'subject') };
      const { raw, data } = await context.api.call(adminRoutes.listSessions, { params: { tenant: args['tenant']! }, query });
      if (context.json) return context.print(JSON.stringify(raw, null, 2) + '\n');
      context.print(formatTable(data.items, sessionColumns));
      notePage(context, data.nextCursor);
    },
  },
  {
    resource: 'sessions',
    action: 'revoke',
    synopsis: '<tenant> (<session-id> | [--client <id>] [--subject <sub>])',
    summary: 'end one MCP session, or every session of a client and/or a user (gateways drop them within a second)',
    positionals: ['tenant', 'session-id'],
    optionalPositionals: 1,
    options: filterOptions,
    details: ['--client <id>    every session of this client', '--subject <sub>  every session of this user (with --client: that user\'s sessions of that client)'],
    async run(args, values, context) {
      const tenant = args['tenant']!;
      const sessionId = args['session-id'];
      const client = stringOption(values, 'client');
      const subject = stringOption(values, 'subject');
      if (sessionId && (client !== undefined || subject !== undefined)) throw new UsageError('give a session id or --client/--subject, not both');
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
