import { performance } from 'node:perf_hooks';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import {
  UPSTREAM_TEST_CHANNEL,
  upstreamTestClaimKey,
  upstreamTestReplyChannel,
  upstreamTestRequestSchema,
  type UpstreamTestErrorCode,
  type UpstreamTestRequest,
  type UpstreamTestResult,
  type UpstreamTestStage,
} from '@airlock/contracts';
import { egressRefusalOf } from '@airlock/egress';
import type { Logger } from '@airlock/observability';
import type { HotStore } from '@airlock/redis';
import type { TenantCatalog, UpstreamServerRecord } from '../tenants/tenant-catalog.js';
import type { UpstreamConnection } from './upstream-connection.js';
import type { UpstreamCredentials } from './upstream-credentials.js';
import { openUpstreamSecrets } from './upstream-credentials.js';
import type { UpstreamEgress } from './upstream-egress.js';
import { UpstreamLink, type ConnectOptions } from './upstream-link.js';
import { StdioLauncher, type LaunchedStdio, type StdioLaunchSettings, type StdioLimits } from './stdio-launcher.js';
import { StdioSandboxError } from './stdio-sandbox.js';

/** The whole test (start, initialize, tools/list) stops after this; the admin API waits a little longer. */
const TEST_TIMEOUT_MS = 15_000;
/** Tests one replica runs at once; beyond that it leaves a request to another replica. */
const MAX_CONCURRENT_TESTS = 4;
/** Tool names a result carries at most. */
const MAX_TOOL_NAMES = 100;

/** A launcher for one test: no crash-loop back-off of its own (a test is one start), and the started process kept to read its stderr. */
class TestStdioLauncher extends StdioLauncher {
  launched: LaunchedStdio | undefined;

  override launch(...args: Parameters<StdioLauncher['launch']>): LaunchedStdio {
    this.launched = super.launch(...args);
    return this.launched;
  }

  override backoffMs(): number {
    return 0;
  }

  override crashed(): void {}
}

class TestTimeout extends Error {
  constructor(readonly stage: UpstreamTestStage) {
    super(`no answer within ${TEST_TIMEOUT_MS / 1000} s`);
  }
}

export interface UpstreamTesterDeps {
  hot: HotStore;
  directory: TenantCatalog;
  credentials: UpstreamCredentials;
  egress: UpstreamEgress;
  masterKey: Buffer;
  stdio: { limits: StdioLimits | undefined; settings: StdioLaunchSettings };
  /** Opens a connection as a session would (UpstreamLink, or Upstream2026Link for a 2026-07-28 upstream). */
  open: (options: ConnectOptions) => Promise<UpstreamConnection>;
  replicaId: string;
  logger: Logger;
}

/**
 * "Test connection" of the admin API, run where upstreams are reached: the auth server publishes a request
 * (UPSTREAM_TEST_CHANNEL), one replica claims it, connects to the stored server exactly as a session would
 * (egress policy, credentials, stdio sandbox), initializes, lists tools, closes, and publishes the result
 * with the failed stage, a reason code and timings. No session, no catalogue write, no audit of its own
 * (the admin API audits the request).
 */
export class UpstreamTester {
  private unsubscribe: (() => Promise<void>) | undefined;
  private running = 0;

  constructor(private readonly deps: UpstreamTesterDeps) {}

  async start(): Promise<void> {
    this.unsubscribe = await this.deps.hot.subscribe(UPSTREAM_TEST_CHANNEL, (message) => void this.receive(message));
  }

  async close(): Promise<void> {
    await this.unsubscribe?.();
  }

  private async receive(message: string): Promise<void> {
    let request: UpstreamTestRequest;
    try {
      request = upstreamTestRequestSchema.parse(JSON.parse(message));
    } catch {
      this.deps.logger.warn('malformed upstream test request');
      return;
    }
    if (request.deadline <= Date.now() || this.running >= MAX_CONCURRENT_TESTS) return;
    try {
      const claimed = await this.deps.hot.set(upstreamTestClaimKey(request.id), this.deps.replicaId, { onlyIfAbsent: true, ttlMs: 60_000 });
      if (!claimed) return;
      this.running += 1;
      const result = await this.test(request.tenant, request.server).finally(() => (this.running -= 1));
      if (result) await this.deps.hot.publish(upstreamTestReplyChannel(request.id), JSON.stringify(result));
    } catch (error) {
      this.deps.logger.warn({ err: error, tenant: request.tenant, upstream: request.server }, 'upstream test failed to run');
    }
  }

  /** Connects, initializes, lists tools and closes; undefined when the tenant or server is unknown here. */
  async test(slug: string, name: string): Promise<UpstreamTestResult | undefined> {
    const tenant = await this.deps.directory.tenant(slug);
    if (!tenant) return undefined;
    const stored = await this.deps.directory.upstreamServerForTest(tenant.id, name);
    if (!stored) return undefined;
    // A pinned era is what a session would speak; `auto` goes by the era last detected.
    const server: UpstreamServerRecord = stored.protocolEra && stored.protocolEra !== 'auto' ? { ...stored, protocolVersion: stored.protocolEra } : stored;
    const started = performance.now();
    const ms = (from: number) => Math.round((performance.now() - from) * 10) / 10;
    const base = { server: name, transport: server.transport, testedAt: new Date().toISOString(), replica: this.deps.replicaId };
    const timings: UpstreamTestResult['timings'] = { totalMs: 0 };
    const launcher = new TestStdioLauncher(this.deps.stdio.limits, this.deps.stdio.settings);
    let stage: UpstreamTestStage = 'config';
    let link: UpstreamConnection | undefined;
    let finished = false;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TestTimeout(stage)), TEST_TIMEOUT_MS);
    });
    deadline.catch(() => undefined);
    try {
      const secrets = openUpstreamSecrets(this.deps.masterKey, server);
      stage = 'initialize';
      const opening = this.deps.open({
        server,
        secrets,
        credentials: this.deps.credentials,
        egress: this.deps.egress,
        stdio: launcher,
        // No user: a token-exchange server cannot be tested here (the reason says so).
        caller: { tenant: slug, bearer: () => undefined },
        clientCapabilities: {},
        clientInfo: { name: 'airlock-gateway (connection test)', version: '1' },
        logger: this.deps.logger,
        handlers: {
          onRequest: async () => {
            throw new McpError(ErrorCode.MethodNotFound, 'a connection test answers no upstream requests');
          },
          onNotification: () => undefined,
          onStreamPaused: () => undefined,
          onClose: () => undefined,
        },
      });
      // Opened after the deadline: closed as soon as it is there.
      opening.then((opened) => (finished ? void opened.close().catch(() => undefined) : (link = opened))).catch(() => undefined);
      const initializeStarted = performance.now();
      link = await Promise.race([opening, deadline]);
      timings.initializeMs = ms(initializeStarted);
      stage = 'tools/list';
      const listStarted = performance.now();
      const listed = await Promise.race([link.request('tools/list', {}), deadline]);
      timings.toolsListMs = ms(listStarted);
      const tools = Array.isArray(listed['tools']) ? (listed['tools'] as Array<{ name?: unknown }>) : [];
      const version = link.client.getServerVersion();
      return {
        ...base,
        ok: true,
        stage,
        timings: { ...timings, totalMs: ms(started) },
        protocolVersion: protocolVersionOf(link, server),
        serverInfo: version ? { name: String(version.name), version: String(version.version) } : null,
        tools: { count: tools.length, names: tools.slice(0, MAX_TOOL_NAMES).map((tool) => String(tool.name)) },
      };
    } catch (error) {
      const failure = describeFailure(error, server, launcher.launched?.stderr.lastLines() ?? []);
      const failedStage = error instanceof TestTimeout ? error.stage : failure.connecting && stage === 'initialize' ? 'connect' : stage;
      const version = link?.client.getServerVersion();
      return {
        ...base,
        ok: false,
        stage: failedStage,
        error: { code: failure.code, message: failure.message },
        timings: { ...timings, totalMs: ms(started) },
        protocolVersion: link ? protocolVersionOf(link, server) : null,
        serverInfo: version ? { name: String(version.name), version: String(version.version) } : null,
        tools: null,
      };
    } finally {
      finished = true;
      clearTimeout(timer);
      await link?.close().catch(() => undefined);
      // A stdio server that never finished initialize has no link to close: its process goes with its transport.
      await launcher.launched?.transport.close().catch(() => undefined);
    }
  }
}

function protocolVersionOf(link: UpstreamConnection, server: UpstreamServerRecord): string | null {
  if (link instanceof UpstreamLink) return link.negotiatedProtocolVersion() ?? null;
  return server.protocolVersion;
}

/** Network error codes an unreachable upstream surfaces as (undici puts them on the cause chain). */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET', 'EPIPE']);

function networkCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 6; current = (current as { cause?: unknown }).cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    if (current instanceof AggregateError) for (const inner of current.errors) if (networkCode(inner)) return networkCode(inner);
  }
  return undefined;
}

/** The innermost cause's code or message (what undici or the OS said), for a message. */
function rootCause(error: unknown): string | undefined {
  let current = error;
  for (let depth = 0; depth < 6 && (current as { cause?: unknown })?.cause; depth++) current = (current as { cause?: unknown }).cause;
  if (current === error) return undefined;
  const code = (current as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  return current instanceof Error ? current.message.slice(0, 200) : undefined;
}

/**
 * What went wrong, as an operator can act on it: a reason code and a message naming the cause (a policy
 * refusal's reason, an HTTP status, the last stderr lines of a stdio server). `connecting`: it failed
 * before anything answered.
 */
export function describeFailure(error: unknown, server: UpstreamServerRecord, stderr: string[]): { code: UpstreamTestErrorCode; message: string; connecting: boolean } {
  const where = server.transport === 'http' ? (server.url ?? 'its URL') : `the command ${server.command ?? ''}`;
  if (error instanceof TestTimeout) return { code: 'timeout', message: `${where} gave no answer to ${error.stage} within ${TEST_TIMEOUT_MS / 1000} s`, connecting: false };
  if (error instanceof StdioSandboxError) {
    const code = error.code === 'sandbox_binary_missing' ? 'sandbox_unavailable' : error.code;
    return { code, message: error.message, connecting: true };
  }
  const refusal = egressRefusalOf(error);
  if (refusal) return { code: 'egress_refused', message: `the gateway's upstream address policy refused ${where}: ${refusal.message}`, connecting: true };
  const text = error instanceof Error ? error.message : String(error);
  if (/no user token to exchange/.test(text)) {
    return { code: 'credentials_unavailable', message: "token exchange needs a signed-in user's token: test it by connecting an MCP client as a user", connecting: true };
  }
  if (/no connected account at /.test(text)) {
    return { code: 'credentials_unavailable', message: "oauth_user: the server is called with each user's own connected account: test it by connecting an MCP client as a user who connected theirs", connecting: true };
  }
  if (/token request refused|credentials are incomplete|credentials without a header|stored secrets have an unexpected shape/.test(text)) {
    return { code: 'credentials_unavailable', message: text, connecting: true };
  }
  if (error instanceof StreamableHTTPError && error.code !== undefined) {
    const hint = error.code === 401 || error.code === 403 ? " (check the server's credentials)" : error.code === 404 ? ' (check the URL path)' : '';
    return { code: 'http_status', message: `${where} answered HTTP ${error.code}${hint}: ${text}`.slice(0, 500), connecting: false };
  }
  const network = networkCode(error);
  if (network || /fetch failed|upstream unreachable/i.test(text)) {
    const reason = network ?? rootCause(error);
    return { code: 'unreachable', message: `nothing answered at ${where}${reason ? ` (${reason})` : ''}`, connecting: true };
  }
  if (server.transport === 'stdio') {
    const sandbox = stderr.find((line) => line.startsWith('bwrap:'));
    if (sandbox) return { code: 'sandbox_unavailable', message: `the sandbox could not be set up: ${sandbox}`, connecting: true };
    if ((error instanceof McpError && error.code === ErrorCode.ConnectionClosed) || /ENOENT|spawn/.test(text)) {
      const last = stderr.slice(-3).join(' | ');
      return { code: 'process_exited', message: `the stdio server exited before it answered${last ? `; its last stderr: ${last}` : ' (it wrote nothing on stderr)'}`.slice(0, 800), connecting: false };
    }
  }
  if (error instanceof McpError) return { code: 'protocol_error', message: `the upstream answered with an error: ${text}`.slice(0, 500), connecting: false };
  return { code: 'failed', message: text.slice(0, 500), connecting: false };
}
