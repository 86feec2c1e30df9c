import { adminRoutes } from '@airlock/contracts';
import type { AdminCommand } from '../admin-command.js';
import { stringOption } from '../admin-command.js';
import { formatRecord, formatTable } from '../admin-table.js';

type Counts = { calls: number; errors: number; refused: number };

export const metricsCommands: AdminCommand[] = [
  {
    resource: 'metrics',
    action: 'tool-calls',
    synopsis: '[--tenant <slug>] [--from <iso>] [--to <iso>] [--step 1m|5m|15m|1h|1d] [--buckets]',
    summary: 'tool calls, errors and refusals over a time range (default: the last hour), and the busiest tenants',
    positionals: [],
    options: { tenant: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, step: { type: 'string' }, buckets: { type: 'boolean' } },
    details: [
      '--tenant <slug>   one tenant (default: every tenant you may see)',
      '--from, --to      ISO 8601 instants with an offset; from inclusive, to exclusive',
      '--step <w>        bucket width (default: the finest with at most 1440 buckets)',
      '--buckets         also print every bucket (time, calls, errors, refused)',
    ],
    async run(_args, values, context) {
      const query = { tenant: stringOption(values, 'tenant'), from: stringOption(values, 'from'), to: stringOption(values, 'to'), step: stringOption(values, 'step') };
      const { raw, data } = await context.api.call(adminRoutes.getToolCallMetrics, { query });
      if (context.json) return context.print(JSON.stringify(raw, null, 2) + '\n');
      const rate = (counts: Counts) => (counts.calls === 0 ? '-' : `${((100 * counts.errors) / counts.calls).toFixed(1)}%`);
      context.print(
        formatRecord([
          ['range', `${data.from} .. ${data.to} (step ${data.step})`],
          ['calls', data.totals.calls],
          ['errors', `${data.totals.errors} (${rate(data.totals)})`],
          ['refused', data.totals.refused],
        ]),
      );
      if (data.tenants.length > 0) {
        context.print('\n' + formatTable(data.tenants, [
          { header: 'tenant', value: (row) => row.tenant },
          { header: 'calls', value: (row) => row.calls },
          { header: 'errors', value: (row) => row.errors },
          { header: 'refused', value: (row) => row.refused },
          { header: 'error rate', value: (row) => rate(row) },
        ]));
      }
      if (values['buckets']) {
        context.print('\n' + formatTable(data.series, [
          { header: 'start', value: (row) => row.start },
          { header: 'calls', value: (row) => row.calls },
          { header: 'errors', value: (row) => row.errors },
          { header: 'refused', value: (row) => row.refused },
        ]));
      }
    },
  },
];
