import type { AdminCommand } from '../admin-command.js';
import { UsageError } from '../admin-errors.js';

// Commands of issue 14 item 4 whose admin API routes do not exist yet (item 2). They are listed, so an
// operator learns that rather than "unknown command", and refuse with exit 2 before any sign-in.

function unavailable(resource: string, action: string, synopsis: string, missing: string): AdminCommand {
  return {
    resource,
    action,
    synopsis,
    summary: `not available yet: the admin API has no ${missing}`,
    positionals: [],
    options: {},
    strict: false,
    async run() {
      throw new UsageError(`the admin API has no ${missing} yet; \`airlock admin routes\` lists the routes it has`, 'not_available');
    },
  };
}

export const unavailableCommands: AdminCommand[] = [
  unavailable('sessions', 'list', '<tenant> [--client <id>] [--user <id>]', 'session routes'),
  unavailable('sessions', 'revoke', '<tenant> <session-id>', 'session routes'),
  unavailable('audit', 'tail', '<tenant> [--follow]', 'audit route'),
];
