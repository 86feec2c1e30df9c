import { adminRoutes } from '@airlock/contracts';
import type { PendingToolChange } from '@airlock/contracts';
import type { AdminCommand } from '../admin-command.js';
import { stringOption } from '../admin-command.js';
import { UsageError } from '../admin-errors.js';

/** One value of a diff on one line (JSON, shortened): a control character would break the line. */
function shown(value: unknown): string {
  const text = value === undefined ? '-' : JSON.stringify(value);
  const flat = Array.from(text, (char) => (char < ' ' || char === '\u007f' ? ' ' : char)).join('');
  return flat.length > 200 ? `${flat.slice(0, 199)}…` : flat;
}

/** A pending change as the admin reads it before approving: the hashes, then one line per changed field. */
function describe(change: PendingToolChange): string {
  const lines = [`${change.name}  ${change.change}  seen ${change.seenHash}  approved ${change.approvedHash ?? '-'}`];
  for (const difference of change.differences) {
    if (difference.change === 'added') lines.push(`  + ${difference.path}: ${shown(difference.after)}`);
    else if (difference.change === 'removed') lines.push(`  - ${difference.path}: ${shown(difference.before)}`);
    else lines.push(`  ~ ${difference.path}: ${shown(difference.before)} -> ${shown(difference.after)}`);
  }
  return lines.join('\n') + '\n';
}

/** `admin tools pending|approve`: pinned tool definitions awaiting an admin's approval. */
export const toolCommands: AdminCommand[] = [
  {
    resource: 'tools',
    action: 'pending',
    synopsis: '<tenant> <server>',
    summary: "list a server's tools whose definition changed and awaits approval, with what changed",
    positionals: ['tenant', 'server'],
    options: {},
    details: ['Each change: the tool, new or changed, its seen and approved hashes, then one line per field', '(+ added, - removed, ~ changed) by JSON path.'],
    async run(args, _values, context) {
      const { raw, data } = await context.api.call(adminRoutes.listToolChanges, { params: { tenant: args['tenant']!, name: args['server']! } });
      if (context.json) return context.print(JSON.stringify(raw, null, 2) + '\n');
      if (data.items.length === 0) return context.print('no tool changes await approval\n');
      context.print(data.items.map((change) => describe(change as PendingToolChange)).join(''));
    },
  },
  {
    resource: 'tools',
    action: 'approve',
    synopsis: '<tenant> <server> <tool> --hash <seen hash>',
    summary: 'approve the definition of a tool a gateway last saw (the hash `tools pending` shows)',
    positionals: ['tenant', 'server', 'tool'],
    options: { hash: { type: 'string' } },
    details: ['--hash <h>   the seen hash from `tools pending`: a definition that changed again since is refused'],
    async run(args, values, context) {
      const hash = stringOption(values, 'hash');
      if (hash === undefined) throw new UsageError('give --hash <seen hash> (airlock admin tools pending <tenant> <server> shows it)');
      const { raw, data } = await context.api.call(adminRoutes.approveTool, { params: { tenant: args['tenant']!, name: args['server']!, tool: args['tool']! }, body: { hash } });
      if (context.json) return context.print(JSON.stringify(raw, null, 2) + '\n');
      context.print(`approved ${args['server']}/${data.name} at ${hash}\n`);
    },
  },
];
