import { Injectable } from '@nestjs/common';
import {
  TOOL_CALL_METRICS_DEFAULT_RANGE_MS,
  TOOL_CALL_METRICS_MAX_BUCKETS,
  TOOL_CALL_METRICS_MAX_RANGE_MS,
  toolCallMetricsSteps,
  type ToolCallMetrics,
  type ToolCallMetricsQuery,
  type ToolCallMetricsStep,
} from '@airlock/contracts';
import { canSeeTenant, visibleTenants } from './admin-access.js';
import type { AdminCaller } from './admin-caller.js';
import { AdminError, tenantNotFound } from './admin.errors.js';
import { AdminMetricsRepository } from './admin-metrics.repository.js';
import { ManagedTenants } from './managed-tenants.service.js';

const STEPS = Object.entries(toolCallMetricsSteps) as Array<[ToolCallMetricsStep, number]>;

/** The range and bucket width a query asks for, checked; a bad combination is a 400 naming the field. */
export function metricsWindow(query: Pick<ToolCallMetricsQuery, 'from' | 'to' | 'step'>, now: number): { from: Date; to: Date; step: ToolCallMetricsStep; stepSeconds: number } {
  const to = query.to === undefined ? now : Date.parse(query.to);
  const from = query.from === undefined ? to - TOOL_CALL_METRICS_DEFAULT_RANGE_MS : Date.parse(query.from);
  if (from >= to) throw new AdminError('invalid_request', 'from: must be before to');
  if (to - from > TOOL_CALL_METRICS_MAX_RANGE_MS) throw new AdminError('invalid_request', 'from: the range is longer than 31 days');
  const bucketsOf = (seconds: number) => Math.ceil((to - from) / (seconds * 1000));
  const chosen = query.step ?? STEPS.find(([, seconds]) => bucketsOf(seconds) <= TOOL_CALL_METRICS_MAX_BUCKETS)?.[0] ?? '1d';
  const stepSeconds = toolCallMetricsSteps[chosen];
  const buckets = bucketsOf(stepSeconds);
  if (buckets > TOOL_CALL_METRICS_MAX_BUCKETS) {
    throw new AdminError('invalid_request', `step: ${chosen} makes ${buckets} buckets over this range, at most ${TOOL_CALL_METRICS_MAX_BUCKETS}: choose a wider step or a shorter range`);
  }
  return { from: new Date(from), to: new Date(to), step: chosen, stepSeconds };
}

/** Tool calls over time for the tenants a caller may see (all of them for platform admins). */
@Injectable()
export class AdminMetricsService {
  constructor(
    private readonly metrics: AdminMetricsRepository,
    private readonly tenants: ManagedTenants,
  ) {}

  async toolCalls(caller: AdminCaller, query: ToolCallMetricsQuery): Promise<ToolCallMetrics> {
    const window = metricsWindow(query, Date.now());
    let tenantIds: readonly string[] | undefined;
    if (query.tenant !== undefined) {
      // Outside the caller's tenants: the very answer an unknown tenant gets.
      if (!canSeeTenant(caller, query.tenant)) throw tenantNotFound();
      tenantIds = [(await this.tenants.get(query.tenant)).id];
    } else {
      const only = visibleTenants(caller);
      tenantIds = only === undefined ? undefined : await this.metrics.tenantIds(only);
    }
    const range = { from: window.from, to: window.to, stepSeconds: window.stepSeconds, tenantIds };
    const [buckets, byTenant] = await Promise.all([this.metrics.series(range), this.metrics.byTenant(range)]);

    // Every bucket, empty ones as zeros, so a chart needs no gap logic.
    const counted = new Map(buckets.map((bucket) => [bucket.start.getTime(), bucket]));
    const series: ToolCallMetrics['series'] = [];
    const totals = { calls: 0, errors: 0, refused: 0 };
    for (let start = window.from.getTime(); start < window.to.getTime(); start += window.stepSeconds * 1000) {
      const bucket = counted.get(start);
      const counts = { calls: bucket?.calls ?? 0, errors: bucket?.errors ?? 0, refused: bucket?.refused ?? 0 };
      totals.calls += counts.calls;
      totals.errors += counts.errors;
      totals.refused += counts.refused;
      series.push({ start: new Date(start).toISOString(), ...counts });
    }
    return {
      from: window.from.toISOString(),
      to: window.to.toISOString(),
      step: window.step,
      tenant: query.tenant ?? null,
      totals,
      series,
      tenants: byTenant.map((row) => ({ tenant: row.tenant, calls: row.calls, errors: row.errors, refused: row.refused })),
    };
  }
}
