import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { TOOL_CALL_AUDIT_ACTION, TOOL_CALL_METRICS_TOP_TENANTS } from '@airlock/contracts';
import { PG_POOL } from '../infra/infra.tokens.js';

// Tool-call counts from the audit log. The action is written into the SQL as a literal (not a bind
// parameter) on purpose: only then can the planner prove the partial index `audit_events_tool_calls_idx`
// (WHERE action = 'mcp.tools.call') applies, for custom and generic plans alike.

if (!/^[a-z.]+$/.test(TOOL_CALL_AUDIT_ACTION)) throw new Error('TOOL_CALL_AUDIT_ACTION must be a plain SQL-safe literal');
const TOOL_CALLS = `action = '${TOOL_CALL_AUDIT_ACTION}'`;
const COUNTS = `count(*)::int AS calls,
  count(*) FILTER (WHERE outcome = 'failure')::int AS errors,
  count(*) FILTER (WHERE outcome IN ('refused', 'denied'))::int AS refused`;

export interface ToolCallCounts {
  calls: number;
  errors: number;
  refused: number;
}

export interface ToolCallRange {
  from: Date;
  to: Date;
  stepSeconds: number;
  /** Only these tenants (by id); undefined: every tenant. */
  tenantIds: readonly string[] | undefined;
}

@Injectable()
export class AdminMetricsRepository {
  constructor(@Inject(PG_POOL) private readonly pg: Pool) {}

  /** Non-empty buckets, oldest first; `start` aligned to `from` + n × step. */
  async series(range: ToolCallRange): Promise<Array<ToolCallCounts & { start: Date }>> {
    const { rows } = await this.pg.query<ToolCallCounts & { start: Date }>(
      `SELECT date_bin(make_interval(secs => $3), occurred_at, $1::timestamptz) AS start, ${COUNTS}
       FROM audit_events
       WHERE ${TOOL_CALLS} AND occurred_at >= $1 AND occurred_at < $2 AND ($4::uuid[] IS NULL OR tenant_id = ANY($4::uuid[]))
       GROUP BY 1 ORDER BY 1`,
      [range.from, range.to, range.stepSeconds, range.tenantIds ?? null],
    );
    return rows;
  }

  /** The busiest tenants of the range, most calls first (slug order among equals). */
  async byTenant(range: ToolCallRange): Promise<Array<ToolCallCounts & { tenant: string }>> {
    const { rows } = await this.pg.query<ToolCallCounts & { tenant: string }>(
      `SELECT t.slug AS tenant, c.calls, c.errors, c.refused
       FROM (
         SELECT tenant_id, ${COUNTS}
         FROM audit_events
         WHERE ${TOOL_CALLS} AND occurred_at >= $1 AND occurred_at < $2 AND ($3::uuid[] IS NULL OR tenant_id = ANY($3::uuid[]))
         GROUP BY tenant_id
       ) c JOIN tenants t ON t.id = c.tenant_id
       ORDER BY c.calls DESC, t.slug LIMIT ${TOOL_CALL_METRICS_TOP_TENANTS}`,
      [range.from, range.to, range.tenantIds ?? null],
    );
    return rows;
  }

  /** Tenant ids of these slugs (unknown slugs are left out). */
  async tenantIds(slugs: readonly string[]): Promise<string[]> {
    const { rows } = await this.pg.query<{ id: string }>('SELECT id FROM tenants WHERE slug = ANY($1::text[])', [slugs]);
    return rows.map((row) => row.id);
  }
}
