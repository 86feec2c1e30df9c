import type { GatewayConfig } from '@airlock/config';
import type { Logger } from '@airlock/observability';
import type { Infra, StartedApp } from '@airlock/platform';
import { closeHttpApp, createHttpApp, httpLifecycleOf, listenHttpApp, mountRawHandler } from '@airlock/http-server';
import { createAccessTokenVerifier } from '@airlock/token-verifier';
import { createServiceMetrics, exportMetrics } from '@airlock/metrics';
import { Tracing } from '@airlock/tracing';
import { gatewayRootModule } from './app.module.js';
import { registerGatewayMetrics } from './gateway-metrics.js';
import { AuditBatcher } from './observe/audit-batcher.js';
import { BearerAuth } from './edge/bearer-auth.js';
import { RateLimiter } from './edge/rate-limiter.js';
import { ReplicaBus } from './sessions/replica-bus.js';
import { SessionHost } from './sessions/session-host.js';
import { createSessionClient } from '@airlock/session-client';
import { LocalSessionDirectory } from './sessions/local-session-directory.js';
import type { SessionDirectory } from './sessions/session-directory.js';
import { SessionStoreDirectory } from './sessions/session-store-directory.js';
import { TenantCatalog } from './tenants/tenant-catalog.js';
import { ToolPinning } from './tenants/tool-pinning.js';
import { McpEndpointHandler } from './edge/mcp-endpoint.handler.js';
import { Client2026Endpoint } from './edge/client-2026/client-2026-endpoint.js';
import { hostName, loopbackHostNames } from './edge/request-validation.js';
import { SseEventLog } from './streams/sse-event-log.js';
import { UpstreamCredentials } from './upstream/upstream-credentials.js';
import { ConnectedAccountTokens } from './upstream/connected-account-tokens.js';
import { createUpstreamEgress } from './upstream/upstream-egress.js';
import type { HostResolver } from '@airlock/egress';
import { UpstreamEras } from './upstream/upstream-eras.js';
import { StdioLauncher } from './upstream/stdio-launcher.js';
import { UpstreamTester } from './upstream/upstream-tester.js';
import { UpstreamLink } from './upstream/upstream-link.js';
import { Upstream2026Link } from './upstream/to-2026/upstream-2026-link.js';
import { isUpstream2026 } from './upstream/upstream-connection.js';
import { resolveExecutable } from './upstream/stdio-sandbox.js';
import type { StdioLimits } from './upstream/stdio-launcher.js';
import { AuditToolCallObserver } from './observe/audit-tool-call-observer.js';
import { ToolCallObservers } from './observe/tool-call-observer.js';
import { CallPolicyCache } from './observe/call-policy-cache.js';
import { CallPolicyObserver } from './observe/call-policy-observer.js';
import type { ToolCallObserver } from './observe/tool-call-observer.js';

/** Knobs with production defaults; tests lower some of them. */
export interface GatewayTuning {
  bodyLimitBytes: number;
  /** DNS for the upstream address policy (tests answer for names they do not own); the system's by default. */
  egressResolver?: HostResolver;
  /** How long tenants, servers and tool scopes are cached when no `CATALOG_CHANGED_CHANNEL` event drops them first. */
  catalogCacheMs: number;
  sessionIdleTimeoutMs: number;
  /** How often the upstream sessions of ended local sessions are looked for and closed. */
  sessionSweepMs: number;
  sseRetryMs: number;
  sseKeepAliveMs: number;
  sseMaxEventsPerStream: number;
  sseRetentionMs: number;
  perSessionPerMinute: number;
  perTenantPerMinute: number;
  rateWindowMs: number;
  /** Overrides AUTH_INTERNAL_URL: where the JWKS and the token endpoint are reached from the gateway. */
  jwksBaseUrl?: string;
  /**
   * Where sessions live: the session store (production) or the hot store alone (a standalone gateway,
   * and the gateway's own tests, which cannot start another app).
   */
  sessions: 'session-store' | 'local';
  shutdownGraceMs: number;
  /** Resource limits of stdio upstream processes (applied with prlimit where it exists); none when undefined. */
  stdioLimits: StdioLimits | undefined;
  /** Audit records per queued job at most, and how long a batch waits to fill (see AuditBatcher). */
  auditBatchMax: number;
  auditFlushMs: number;
  /** Items of one aggregated list page (tools, prompts, resources, templates) before it paginates. */
  aggregateListMaxItems: number;
  /** How long a tenant's call policy is used before it is re-read in the background (events drop it at once). */
  callPolicyRefreshMs?: number;
  /** Tool-call observers registered beside the audit (metrics, tracing, policy; tests). */
  toolCallObservers?: readonly ToolCallObserver[];
}

const DEFAULT_TUNING: Omit<GatewayTuning, 'perSessionPerMinute' | 'perTenantPerMinute'> = {
  bodyLimitBytes: 1024 * 1024,
  catalogCacheMs: 5_000,
  sessionIdleTimeoutMs: 30 * 60_000,
  sessionSweepMs: 60_000,
  sseRetryMs: 1_000,
  sseKeepAliveMs: 15_000,
  sseMaxEventsPerStream: 1_000,
  sseRetentionMs: 10 * 60_000,
  rateWindowMs: 60_000,
  shutdownGraceMs: 10_000,
  sessions: 'session-store',
  stdioLimits: { memoryBytes: 4 * 1024 ** 3, openFiles: 1024, cpuSeconds: 3600 },
  auditBatchMax: 100,
  auditFlushMs: 50,
  aggregateListMaxItems: 1_000,
};

export interface StartMcpGatewayOptions {
  config: GatewayConfig;
  infra: Infra;
  logger: Logger;
  tuning?: Partial<GatewayTuning>;
}

const LOOPBACK_BINDS = new Set(['127.0.0.1', 'localhost', '::1']);

export async function startMcpGateway({ config, infra, logger, tuning: overrides }: StartMcpGatewayOptions): Promise<StartedApp> {
  // Rate limits come from config (GATEWAY_RATE_LIMIT_*); tests may still override them through `tuning`.
  const tuning = { ...DEFAULT_TUNING, ...config.rateLimits, ...overrides };
  const directory = new TenantCatalog(infra.pg, {
    hot: infra.hot,
    cacheMs: tuning.catalogCacheMs,
    onError: (error) => logger.warn({ err: error }, 'malformed catalog event'),
  });
  await directory.start();
  const verifier = createAccessTokenVerifier({
    issuerBaseUrl: config.authPublicUrl,
    hot: infra.hot,
    jwksBaseUrl: tuning.jwksBaseUrl ?? config.authInternalUrl,
    onBackgroundError: (error) => logger.warn({ err: error }, 'token verifier background error'),
  });
  await verifier.start();
  const log = new SseEventLog(infra.hot, { maxEvents: tuning.sseMaxEventsPerStream, retentionMs: tuning.sseRetentionMs });
  await log.start();
  const sessionClient =
    tuning.sessions === 'local'
      ? undefined
      : createSessionClient({
          sessionStoreUrl: config.sessionStoreUrl,
          tokenBaseUrl: tuning.jwksBaseUrl ?? config.authInternalUrl,
          masterKey: infra.masterKey,
          hot: infra.hot,
          onError: (error) => logger.warn({ err: error }, 'session client error'),
        });
  const registry: SessionDirectory = sessionClient
    ? new SessionStoreDirectory(sessionClient, infra.hot, { idleTimeoutMs: tuning.sessionIdleTimeoutMs })
    : new LocalSessionDirectory(infra.hot, { idleTimeoutMs: tuning.sessionIdleTimeoutMs });
  await registry.start();
  const bus = new ReplicaBus(infra.hot);
  // Said once at start, not only when a tenant's stdio server first fails to launch.
  if (!resolveExecutable(config.stdioSandbox.binary, config.stdioSandbox.inheritedEnv['PATH'])) {
    logger.warn({ binary: config.stdioSandbox.binary }, 'stdio sandbox (bubblewrap) not found: sandboxed stdio upstreams will not start; install bubblewrap or set GATEWAY_STDIO_SANDBOX_BINARY');
  }
  // OpenTelemetry (off unless OTEL_EXPORTER_OTLP_ENDPOINT is set): a server span per MCP request.
  const tracing = Tracing.start(config.tracing, 'mcp-gateway');
  const metrics = createServiceMetrics('mcp-gateway');
  const metricsObserver = registerGatewayMetrics(metrics, { verifier, maxServers: config.metrics.maxServers });
  const audit = new AuditBatcher(infra.queues, logger.child({ component: 'audit' }), { maxRecords: tuning.auditBatchMax, flushMs: tuning.auditFlushMs });
  // Every tools/call of both eras passes through these, refusals included (observe/tool-call-observer.ts).
  const observerLogger = logger.child({ component: 'tool-call-observer' });
  // Each tenant's call policy (issue 17), compiled once per version, dropped on every replica when it is saved.
  const policies = new CallPolicyCache(infra.pg, { hot: infra.hot, logger: logger.child({ component: 'call-policy' }), ...(tuning.callPolicyRefreshMs ? { refreshMs: tuning.callPolicyRefreshMs } : {}) });
  await policies.start();
  // Pinned tool definitions: changed definitions withheld (or flagged) until approved, sightings recorded and audited.
  const pinning = new ToolPinning(directory, { audit, hot: infra.hot, logger: logger.child({ component: 'tool-pinning' }) });
  // Every decision's record carries the tool's version hash (refusals at the edge read it from the catalogue).
  const auditObserver = new AuditToolCallObserver(audit, (tenant) => policies.get(tenant), (tenant, server, tool) => pinning.hashOf(tenant, server, tool));
  const observer = new ToolCallObservers([auditObserver, metricsObserver, new CallPolicyObserver(policies, (error, call) => observerLogger.error({ err: error, tenant: call.tenant }, 'call policy evaluation failed; the call is refused')), ...(tuning.toolCallObservers ?? [])], (error, call) =>
    observerLogger.error({ err: error, server: call.server, tool: call.tool }, 'a tool-call observer failed; the call goes on'),
  );
  const egress = createUpstreamEgress(config.egress, tuning.egressResolver);
  // Connected accounts (issue 17): users' own tokens at oauth_user upstreams; refreshes go through the egress policy.
  const accounts = new ConnectedAccountTokens({ pg: infra.pg, hot: infra.hot, masterKey: infra.masterKey, authPublicUrl: config.authPublicUrl, fetchImpl: egress.fetch, logger: logger.child({ component: 'connected-accounts' }) });
  await accounts.start();
  const credentials = new UpstreamCredentials({ authBaseUrl: tuning.jwksBaseUrl ?? config.authInternalUrl, masterKey: infra.masterKey, egressFetch: egress.fetch, accounts });
  const eras = new UpstreamEras({ pg: infra.pg, credentials, masterKey: infra.masterKey, fetchImpl: egress.fetch, logger: logger.child({ component: 'upstream-eras' }) });
  const stdioSettings = { sandbox: { binary: config.stdioSandbox.binary, dataDir: config.dataDir }, inheritedEnv: config.stdioSandbox.inheritedEnv };
  const host = new SessionHost({
    tracing,
    hot: infra.hot,
    log,
    registry,
    bus,
    directory,
    credentials,
    egress,
    eras,
    observer,
    pinning,
    stdio: new StdioLauncher(tuning.stdioLimits, stdioSettings),
    masterKey: infra.masterKey,
    accounts,
    logger: logger.child({ component: 'sessions' }),
    idleTimeoutMs: tuning.sessionIdleTimeoutMs,
    sweepMs: tuning.sessionSweepMs,
    aggregateListMaxItems: tuning.aggregateListMaxItems,
  });
  await host.start();
  // The admin API's "test connection": run here, where upstreams are reached (egress policy, stdio sandbox).
  const tester = new UpstreamTester({
    hot: infra.hot,
    directory,
    credentials,
    egress,
    masterKey: infra.masterKey,
    stdio: { limits: tuning.stdioLimits, settings: stdioSettings },
    open: (options) => (isUpstream2026(options.server) ? Upstream2026Link.connect(options) : UpstreamLink.connect(options)),
    replicaId: bus.replicaId,
    logger: logger.child({ component: 'upstream-test' }),
  });
  await tester.start();

  const publicUrl = new URL(config.publicUrl);
  const allowedHosts = new Set([hostName(publicUrl.host)]);
  // DNS-rebinding defence: loopback names are accepted only when the gateway is bound to the loopback.
  if (LOOPBACK_BINDS.has(config.http.host)) for (const name of loopbackHostNames()) allowedHosts.add(name);
  const endpoint = new McpEndpointHandler({
    options: {
      publicUrl: config.publicUrl,
      allowedHosts,
      allowedOrigins: new Set([publicUrl.origin]),
      loopbackBind: LOOPBACK_BINDS.has(config.http.host),
      bodyLimitBytes: tuning.bodyLimitBytes,
      retryMs: tuning.sseRetryMs,
      keepAliveMs: tuning.sseKeepAliveMs,
    },
    auth: new BearerAuth(verifier),
    directory,
    registry,
    host,
    bus,
    log,
    observer,
    pinning,
    rateLimiter: new RateLimiter(infra.hot, { perSessionPerMinute: tuning.perSessionPerMinute, perTenantPerMinute: tuning.perTenantPerMinute, windowMs: tuning.rateWindowMs }),
    logger: logger.child({ component: 'mcp-endpoint' }),
    eras,
    tracing,
    // State handles in the session store (the hot store when sessions are local); retries forwarded to the replica holding the call.
    client2026: new Client2026Endpoint({ ...host.upstreamAccess(), observer, aggregateListMaxItems: tuning.aggregateListMaxItems, toolListTtlMs: config.toolListTtlMs, isAlive: (id) => bus.isAlive(id), ...(sessionClient ? { stateHandles: sessionClient.stateHandles } : {}) }),
  });

  const app = await createHttpApp(gatewayRootModule({ directory, urls: { publicUrl: config.publicUrl, authPublicUrl: config.authPublicUrl } }), {
    name: 'mcp-gateway',
    http: config.http,
    logger,
    readiness: infra.readiness,
    bodyLimit: tuning.bodyLimitBytes,
    metrics: metrics.http,
  });
  // The hot path: served before Fastify (no routing, hooks or middleware per MCP request). Nothing of the
  // gateway's Nest side lives under /t/, so the lane takes every request there.
  mountRawHandler(app, { prefix: '/t/:tenant', handler: endpoint.handle, fastLane: true });
  httpLifecycleOf(app).onDrain(() => endpoint.drain());
  const url = await listenHttpApp(app, { port: config.port, host: config.http.host });
  const exporter = await exportMetrics(metrics, config.metrics);
  logger.info({ url, publicUrl: config.publicUrl, replica: bus.replicaId, metricsUrl: exporter?.url, tracing: tracing.enabled }, 'mcp gateway listening');

  return {
    name: 'mcp-gateway',
    url,
    metricsUrl: exporter?.url,
    banner: [`MCP gateway: ${config.publicUrl}/t/<tenant>/mcp`],
    async close() {
      await closeHttpApp(app, { graceMs: tuning.shutdownGraceMs });
      await exporter?.close();
      // Sessions homed here are released, not ended: in-flight calls finish and append their answers
      // (which clients fetch from another replica), and the next request of each session is adopted
      // elsewhere with its upstream links opened again (a rolling restart costs a client nothing).
      await tester.close();
      await host.release(tuning.shutdownGraceMs);
      await host.close();
      // After the last calls ended: their audit records are held here until this hands them to the queue.
      await audit.close();
      await log.close();
      await registry.close();
      await directory.close();
      await policies.close();
      await accounts.close();
      await verifier.close();
      await tracing.shutdown().catch((error: unknown) => logger.warn({ err: error }, 'could not export the last spans'));
    },
  };
}
