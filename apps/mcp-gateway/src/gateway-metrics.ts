import { Gauge, type ServiceMetrics } from '@airlock/metrics';
import type { AccessTokenVerifier } from '@airlock/token-verifier';
import { MetricsToolCallObserver } from './observe/metrics-tool-call-observer.js';
import { upstreamPoolStats } from './upstream/http-relay.js';

/**
 * The gateway's own series besides HTTP: tools/call (an observer on the one tool-call seam) and, read at
 * scrape time, the revoked-grant set and the upstream connection pools. Returns the observer to register.
 */
export function registerGatewayMetrics(metrics: ServiceMetrics, sources: { verifier: AccessTokenVerifier; maxServers: number }): MetricsToolCallObserver {
  new Gauge({
    name: 'airlock_revoked_grants',
    help: 'Grants in this replica\'s revoked set (kept until their tokens expire; every token check reads it).',
    registers: [metrics.registry],
    collect() {
      this.set(sources.verifier.revokedGrantCount());
    },
  });
  new Gauge({
    name: 'airlock_upstream_connections',
    help: 'Connections to http upstreams: open, busy with a request, and requests queued for one.',
    labelNames: ['state'],
    registers: [metrics.registry],
    collect() {
      const stats = upstreamPoolStats();
      this.labels('open').set(stats.connected);
      this.labels('busy').set(stats.busy);
      this.labels('queued').set(stats.queued);
    },
  });
  return new MetricsToolCallObserver(metrics, sources.maxServers);
}
