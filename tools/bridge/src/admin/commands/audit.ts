import { setTimeout as sleep } from 'node:timers/promises';
import { adminRoutes } from '@airlock/contracts';
import type { AdminCommand, CommandContext, OptionValues } from '../admin-command.js';
import { stringOption } from '../admin-command.js';
import { UsageError } from '../admin-errors.js';

type AuditRecord = { id: string; occurredAt: string; actor: { subject?: string | undefined; clientId?: string | undefined }; action: string; target: string | null; outcome: string };

const FILTERS = ['actor', 'subject', 'client', 'action', 'outcome'] as const;
/** Records one poll pages through at most (a burst beyond it is caught up over the next polls). */
const POLL_PAGES = 10;

/** One record a line: time, outcome, action, who, on what (--json: the record as JSON). */
function printRecords(context: CommandContext, records: readonly AuditRecord[], raw: ReadonlyMap<string, unknown>): void {
  if (records.length === 0) return;
  if (context.json) return context.print(records.map((record) => JSON.stringify(raw.get(record.id)) + '\n').join(''));
  const line = (record: AuditRecord) => {
    const actor = [record.actor.subject, record.actor.clientId].filter(Boolean).join('/') || '-';
    const text = `${record.occurredAt}  ${record.outcome.padEnd(7)}  ${record.action}  actor=${actor}  target=${record.target ?? '-'}`;
    // One record, one line: a control character in a target would break it.
    return Array.from(text, (char) => (char < ' ' || char === '\u007f' ? ' ' : char)).join('');
  };
  context.print(records.map((record) => line(record) + '\n').join(''));
}

function filterQuery(values: OptionValues): Record<string, string | undefined> {
  return Object.fromEntries(FILTERS.map((name) => [name, stringOption(values, name)]));
}

export const auditCommands: AdminCommand[] = [
  {
    resource: 'audit',
    action: 'tail',
    synopsis: '<tenant> [--limit <n>] [--follow [--interval <s>]] [--actor <a>] [--subject <s>] [--client <c>] [--action <a>] [--outcome <o>]',
    summary: "print a tenant's latest audit records, oldest first; --follow keeps printing new ones",
    positionals: ['tenant'],
    options: {
      limit: { type: 'string' },
      follow: { type: 'boolean', short: 'f' },
      interval: { type: 'string' },
      ...Object.fromEntries(FILTERS.map((name) => [name, { type: 'string' }])),
    },
    details: [
      '--limit <n>        how many records to start with, 1-200 (default 20)',
      '--follow, -f       then poll for new records until interrupted',
      '--interval <s>     seconds between polls (default 2)',
      '--actor, --subject, --client, --action, --outcome   only matching records (see the audit route)',
      'With --json: one record a line (JSON lines).',
    ],
    async run(args, values, context) {
      const tenant = args['tenant']!;
      const filters = filterQuery(values);
      const interval = Number(stringOption(values, 'interval') ?? '2');
      if (!Number.isFinite(interval) || interval < 0.2 || interval > 3600) throw new UsageError('--interval takes seconds, 0.2-3600');
      const first = await context.api.call(adminRoutes.listAudit, { params: { tenant }, query: { ...filters, limit: stringOption(values, 'limit') ?? '20' } });
      const raw = new Map((first.raw as { items: unknown[] }).items.map((item, index) => [first.data.items[index]!.id, item]));
      printRecords(context, [...first.data.items].reverse(), raw);
      if (!values['follow']) return;
      // Newest first from the API: a poll pages back (with the cursor) from the newest record until it
      // reaches one it printed already, then prints what is new, oldest first.
      let newest: AuditRecord | undefined = first.data.items[0];
      const printed = new Set(first.data.items.filter((item) => item.occurredAt === newest?.occurredAt).map((item) => item.id));
      for (;;) {
        await sleep(interval * 1000);
        const fresh: AuditRecord[] = [];
        const freshRaw = new Map<string, unknown>();
        let cursor: string | undefined;
        for (let pages = 0; pages < POLL_PAGES; pages++) {
          const query = { ...filters, limit: '200', ...(newest ? { from: newest.occurredAt } : {}), ...(cursor ? { cursor } : {}) };
          const page = await context.api.call(adminRoutes.listAudit, { params: { tenant }, query });
          const items = page.data.items.filter((item) => !printed.has(item.id));
          (page.raw as { items: unknown[] }).items.forEach((item, index) => freshRaw.set(page.data.items[index]!.id, item));
          fresh.push(...items);
          if (!page.data.nextCursor || items.length < page.data.items.length) break;
          cursor = page.data.nextCursor;
        }
        if (fresh.length === 0) continue;
        fresh.reverse();
        printRecords(context, fresh, freshRaw);
        const last = fresh.at(-1)!;
        if (last.occurredAt !== newest?.occurredAt) printed.clear();
        newest = last;
        for (const item of fresh) if (item.occurredAt === last.occurredAt) printed.add(item.id);
      }
    },
  },
];
