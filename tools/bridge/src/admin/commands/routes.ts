import { ADMIN_API_PREFIX, adminRoutes } from '@airlock/contracts';
import type { AdminCommand } from '../admin-command.js';
import { formatTable } from '../admin-table.js';

// The admin API's routes as this CLI knows them (the shared route table): what exists, for the commands
// the CLI does not have yet. No sign-in needed.

export const routesCommand: AdminCommand = {
  resource: 'routes',
  action: '',
  synopsis: '',
  summary: "list the admin API's routes (method, path, what it does)",
  positionals: [],
  options: {},
  async run(_args, _values, context) {
    const routes = Object.values(adminRoutes).map((route) => ({ operationId: route.operationId, method: route.method, path: `${ADMIN_API_PREFIX}${route.path}`, summary: route.summary }));
    if (context.json) return context.print(JSON.stringify(routes, null, 2) + '\n');
    context.print(
      formatTable(routes, [
        { header: 'method', value: (route) => route.method },
        { header: 'path', value: (route) => route.path },
        { header: 'summary', value: (route) => route.summary },
      ]),
    );
  },
};
