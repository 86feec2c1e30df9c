import { Counter, Histogram, LabelBudget, OVERFLOW_LABEL, type ServiceMetrics } from '@airlock/metrics';
import type { ToolCallContext, ToolCallObserver, ToolCallOutcome } from './tool-call-observer.js';

// Seconds: upstream tools range from a cache read to a long job.
const CALL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120];

/**
 * tools/call counts and latency per tenant and server, by outcome. Tenants and servers are labelled by id
 * up to `maxServers` pairs per process; later pairs share `other`, so a provider with many tenants keeps a
 * bounded series set (raise GATEWAY_METRICS_MAX_SERVERS, or read per-tenant numbers from the audit log).
 */
export class MetricsToolCallObserver implements ToolCallObserver {
  private readonly calls: Counter<'tenant' | 'server' | 'outcome' | 'reason'>;
  private readonly latency: Histogram<'tenant' | 'server' | 'outcome'>;
  private readonly pairs: LabelBudget;

  constructor({ registry }: ServiceMetrics, maxServers: number) {
    this.pairs = new LabelBudget(maxServers);
    this.calls = new Counter({
      name: 'airlock_tool_calls_total',
      help: 'tools/call by tenant, server, outcome (result, tool_error, error, refused, input_required) and reason (the refusal or error code).',
      labelNames: ['tenant', 'server', 'outcome', 'reason'],
      registers: [registry],
    });
    this.latency = new Histogram({
      name: 'airlock_tool_call_duration_seconds',
      help: 'tools/call latency at the gateway, from taking the call to its answer.',
      labelNames: ['tenant', 'server', 'outcome'],
      buckets: CALL_BUCKETS,
      registers: [registry],
    });
  }

  after(call: ToolCallContext, outcome: ToolCallOutcome): void {
    const kept = this.pairs.label(`${call.tenant}\u0000${call.server}`) !== OVERFLOW_LABEL;
    const tenant = kept ? call.tenant : OVERFLOW_LABEL;
    const server = kept ? call.server || 'unknown' : OVERFLOW_LABEL;
    this.calls.labels(tenant, server, outcome.kind, outcome.reason ?? '').inc();
    this.latency.labels(tenant, server, outcome.kind).observe(outcome.latencyMs / 1000);
  }
}
