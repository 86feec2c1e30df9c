import { z } from 'zod';
import { tenantSlugSchema } from './tenant.js';

// Tool-call metrics for the admin API: calls per time bucket and how they ended, read from the audit
// records the gateway writes for every finished tool call (action `mcp.tools.call`).

/** The audit action of one finished tool call (the gateway's `AuditToolCallObserver` writes it). */
export const TOOL_CALL_AUDIT_ACTION = 'mcp.tools.call';

/** Bucket widths a series may use, with their length in seconds. */
export const toolCallMetricsSteps = { '1m': 60, '5m': 300, '15m': 900, '1h': 3600, '1d': 86_400 } as const;
export type ToolCallMetricsStep = keyof typeof toolCallMetricsSteps;
/** Most buckets one answer holds (a day by the minute). */
export const TOOL_CALL_METRICS_MAX_BUCKETS = 1440;
/** Longest time range one query may cover. */
export const TOOL_CALL_METRICS_MAX_RANGE_MS = 31 * 86_400_000;
/** Range when `from` is absent: the last hour before `to`. */
export const TOOL_CALL_METRICS_DEFAULT_RANGE_MS = 3_600_000;
/** Most tenants the per-tenant breakdown lists (busiest first). */
export const TOOL_CALL_METRICS_TOP_TENANTS = 20;

/**
 * `from` inclusive, `to` exclusive (ISO 8601 with offset; default: the last hour up to now); `step` the
 * bucket width (default: the finest that keeps at most 1440 buckets); `tenant` narrows to one tenant.
 */
export const toolCallMetricsQuerySchema = z
  .object({
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    step: z.enum(Object.keys(toolCallMetricsSteps) as [ToolCallMetricsStep, ...ToolCallMetricsStep[]]).optional(),
    tenant: tenantSlugSchema.optional(),
  })
  .strict();
export type ToolCallMetricsQuery = z.infer<typeof toolCallMetricsQuerySchema>;

/** Calls that finished in a bucket: all of them, those that failed (tool or upstream error), those the gateway refused or denied. */
export const toolCallCountsSchema = z.object({
  calls: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  refused: z.number().int().nonnegative(),
});

export const toolCallMetricsSchema = z.object({
  from: z.iso.datetime(),
  to: z.iso.datetime(),
  step: z.enum(Object.keys(toolCallMetricsSteps) as [ToolCallMetricsStep, ...ToolCallMetricsStep[]]),
  /** The one tenant asked for, or null: every tenant the caller may see. */
  tenant: z.string().nullable(),
  totals: toolCallCountsSchema,
  /** Every bucket from `from` on (empty ones too), oldest first; `start` is the bucket's first instant. */
  series: z.array(toolCallCountsSchema.extend({ start: z.iso.datetime() })),
  /** The busiest tenants in the range (at most 20), most calls first. */
  tenants: z.array(toolCallCountsSchema.extend({ tenant: z.string() })),
});
export type ToolCallMetrics = z.infer<typeof toolCallMetricsSchema>;
