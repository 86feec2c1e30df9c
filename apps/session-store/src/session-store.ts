import type { SessionStoreConfig } from '@airlock/config';
import type { Logger } from '@airlock/observability';
import type { Infra, StartedApp } from '@airlock/platform';
import { TenantDirectory } from '@airlock/platform';
import { closeHttpApp, createHttpApp, listenHttpApp } from '@airlock/http-server';
import { createServiceMetrics, exportMetrics } from '@airlock/metrics';
import { tracedQueueBackend } from '@airlock/queue';
import { Tracing } from '@airlock/tracing';
import { createAccessTokenVerifier } from '@airlock/token-verifier';
import type { AccessTokenVerifier } from '@airlock/token-verifier';
import { createAppModule } from './app.module.js';
import { AuditRecorder } from './audit/audit-recorder.js';
import { AuditWriter } from './audit/audit.writer.js';
import type { AuditExporter } from './audit-export/audit-exporter.js';
import { registerAuditExportMetrics } from './audit-export/audit-export-metrics.js';
import { createAuditExporter } from './audit-export/create-audit-exporter.js';
import { CallerAuth } from './auth/caller-auth.js';
import { ExpirySweep } from './jobs/expiry-sweep.js';
import { SessionJobsWorker } from './jobs/session-jobs.worker.js';
import { registerSessionStoreMetrics } from './metrics/session-store-metrics.js';
import { SessionDurableRepository } from './sessions/session-durable.repository.js';
import { SessionEventsPublisher } from './sessions/session-events.publisher.js';
import { SessionHotRepository } from './sessions/session-hot.repository.js';
import { SessionsService } from './sessions/sessions.service.js';
import { TouchBatcher } from './sessions/touch-batcher.js';
import { StateHandleHotRepository } from './state-handles/state-handle-hot.repository.js';
import { StateHandlesService } from './state-handles/state-handles.service.js';

/** Overrides of the config's periods (SESSION_STORE_*); tests shorten them. */
export interface SessionStoreTuning {
  touchFlushMs?: number;
  lastSeenFlushMs?: number;
  expirySweepEveryMs?: number;
  /** Run the job workers in this process (default true). */
  workers?: boolean;
}

export interface StartSessionStoreOptions {
  config: SessionStoreConfig;
  infra: Pick<Infra, 'pg' | 'hot' | 'queues' | 'readiness' | 'droppedJobs'>;
  logger: Logger;
  tuning?: SessionStoreTuning;
}

export interface StartedSessionStore extends StartedApp {
  /** The domain, for tests and the launcher's diagnostics. */
  sessions: SessionsService;
  touches: TouchBatcher;
  sweep: ExpirySweep;
  worker: SessionJobsWorker;
  verifier: AccessTokenVerifier;
  /** Streams the audit log to the configured sinks (AUDIT_EXPORT_*); undefined when none is. */
  auditExporter: AuditExporter | undefined;
}

export async function startSessionStore({ config, infra, logger: parentLogger, tuning = {} }: StartSessionStoreOptions): Promise<StartedSessionStore> {
  const logger = parentLogger.child({ app: 'session-store' });
  // OpenTelemetry (off unless OTEL_EXPORTER_OTLP_ENDPOINT is set): a server span per API request, a span per queue job.
  const tracing = Tracing.start(config.tracing, 'session-store');
  const queues = tracedQueueBackend(infra.queues, tracing);
  const tenants = new TenantDirectory(infra.pg, { hot: infra.hot, cacheMs: config.tenantCacheMs });
  await tenants.start();
  const hot = new SessionHotRepository(infra.hot);
  const durable = new SessionDurableRepository(infra.pg, tenants);
  const events = new SessionEventsPublisher(infra.hot);
  const touches = new TouchBatcher(hot, queues, logger, { flushMs: tuning.touchFlushMs ?? config.touchFlushMs, durableFlushMs: tuning.lastSeenFlushMs ?? config.lastSeenFlushMs });
  const sessions = new SessionsService({
    hot,
    durable,
    queues,
    events,
    audit: new AuditRecorder(queues),
    touches,
    logger,
    defaults: config.sessions,
  });
  const sweep = new ExpirySweep(durable, hot, events, logger);
  const worker = new SessionJobsWorker(queues, sessions, durable, sweep, new AuditWriter(infra.pg, tenants), logger);
  const verifier = createAccessTokenVerifier({
    // Tokens name the public issuer; its keys are fetched where this service reaches the auth server.
    issuerBaseUrl: config.authPublicUrl,
    jwksBaseUrl: config.authInternalUrl,
    hot: infra.hot,
    onBackgroundError: (error) => logger.warn({ err: error }, 'revoked-grant resync failed'),
  });
  const auth = new CallerAuth(verifier, { sessionStoreUrl: config.publicUrl, authPublicUrl: config.authPublicUrl });

  touches.start();
  if (tuning.workers ?? true) await worker.start({ expirySweepEveryMs: tuning.expirySweepEveryMs ?? config.expirySweepEveryMs });
  // Every replica runs it; a Postgres advisory lock per sink lets one of them export, the others stand by.
  const auditExporter = createAuditExporter(config.auditExport, { pg: infra.pg, logger: logger.child({ component: 'audit-export' }) });
  auditExporter?.start();
  // The revoked-grant set loads in the background: the store must come up (and report not ready) while Redis is down.
  verifier.start().catch((error: unknown) => logger.warn({ err: error }, 'revoked-grant feed not started yet; retried on first request'));

  const metrics = createServiceMetrics('session-store');
  registerSessionStoreMetrics(metrics, { pg: infra.pg, queues: infra.queues, ...(infra.droppedJobs ? { droppedJobs: infra.droppedJobs } : {}) });
  if (auditExporter) registerAuditExportMetrics(metrics, { pg: infra.pg, exporter: auditExporter });
  const app = await createHttpApp(createAppModule({ sessions, stateHandles: new StateHandlesService(new StateHandleHotRepository(infra.hot)), auth }), {
    name: 'session-store',
    http: config.http,
    logger,
    readiness: infra.readiness,
    metrics: metrics.http,
    tracing,
  });
  let url: string;
  let exporter: Awaited<ReturnType<typeof exportMetrics>>;
  try {
    url = await listenHttpApp(app, { port: config.port, host: config.http.host });
    exporter = await exportMetrics(metrics, config.metrics);
  } catch (error) {
    await app.close();
    await Promise.all([touches.close(), worker.close(), verifier.close(), tenants.close(), tracing.shutdown(), auditExporter?.close()]);
    throw error;
  }
  logger.info({ url, tracing: tracing.enabled }, 'session store listening');

  return {
    name: 'session-store',
    url,
    metricsUrl: exporter?.url,
    banner: [`session store  ${url}/v1/t/<tenant>/sessions`],
    sessions,
    touches,
    sweep,
    worker,
    verifier,
    auditExporter,
    async close() {
      await closeHttpApp(app, { graceMs: 5_000 });
      await auditExporter?.close();
      await exporter?.close();
      await touches.close();
      await worker.close();
      await verifier.close();
      await tenants.close();
      await tracing.shutdown().catch((error: unknown) => logger.warn({ err: error }, 'could not export the last spans'));
    },
  };
}
