import { createRequire } from 'node:module';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * One service's metrics. Each service has its own registry (under `npm start` three share a process),
 * labelled `service`, with Node's process series, a build-info series and the HTTP histogram.
 */
export interface ServiceMetrics {
  readonly registry: Registry;
  readonly http: HttpRequestMetrics;
}

/** What the HTTP layer records per response; `route` is the route pattern, never the raw path. */
export interface HttpRequestMetrics {
  observe(method: string, route: string, status: number, seconds: number): void;
}

// Seconds; SSE streams land in the last buckets, which is what they are.
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60];
const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

export function createServiceMetrics(service: string, version = airlockVersion()): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  new Gauge({ name: 'airlock_build_info', help: 'Always 1; the labels say what runs.', labelNames: ['version', 'node_version'], registers: [registry] })
    .labels(version, process.versions.node)
    .set(1);
  const histogram = new Histogram({
    name: 'airlock_http_request_duration_seconds',
    help: 'HTTP requests by method, route pattern and status class, from the first byte read to the last written.',
    labelNames: ['method', 'route', 'status_class'],
    buckets: HTTP_BUCKETS,
    registers: [registry],
  });
  return {
    registry,
    http: {
      observe(method, route, status, seconds) {
        // Bounded labels: unknown methods fold into one value, statuses into their class.
        histogram.labels(METHODS.has(method) ? method : 'other', route, `${Math.floor(status / 100)}xx`).observe(seconds);
      },
    },
  };
}

/** The root package's version (dist and src sit at the same depth; /app/package.json in the image). */
function airlockVersion(): string {
  try {
    return (createRequire(import.meta.url)('../../../package.json') as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
