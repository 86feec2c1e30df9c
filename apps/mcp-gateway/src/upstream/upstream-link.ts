import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ResultSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '@airlock/observability';
import type { UpstreamServerRecord } from '../tenants/tenant-directory.js';
import type { CallerContext, UpstreamCredentials, UpstreamSecrets } from './upstream-credentials.js';
import type { StdioLauncher } from './stdio-launcher.js';

export interface UpstreamLinkHandlers {
  /** A request the upstream sends to the client (sampling, elicitation, roots); resolves with its result. */
  onRequest(method: string, params: Record<string, unknown> | undefined): Promise<Record<string, unknown>>;
  onNotification(method: string, params: Record<string, unknown> | undefined): void;
  /** An http upstream closed a request stream mid-call and the SDK is resuming it (SEP-1699 polling). */
  onStreamPaused(): void;
  /** The upstream went away (process exit, session gone): the downstream session must end. */
  onClose(): void;
}

export interface ConnectOptions {
  server: UpstreamServerRecord;
  secrets: UpstreamSecrets;
  credentials: UpstreamCredentials;
  caller: CallerContext;
  stdio: StdioLauncher;
  /** Capabilities of the downstream client, mirrored so the upstream asks only for what can be relayed. */
  clientCapabilities: Record<string, unknown>;
  clientInfo: { name: string; version: string };
  logger: Logger;
  handlers: UpstreamLinkHandlers;
}

const CALL_TIMEOUT_MS = 10 * 60_000;

/**
 * One upstream MCP session, opened for one downstream session and closed with it. Built on the official
 * SDK client, used as a relay: results go back exactly as the upstream sent them.
 */
export class UpstreamLink {
  private closedByUs = false;
  private gone = false;
  /** Only a link that was up can die: a failed connect is reported by `connect` itself. */
  private up = false;
  private readonly progress = new Map<string, (progress: { progress: number; total?: number; message?: string }) => void>();
  private progressCounter = 0;

  private constructor(
    readonly server: UpstreamServerRecord,
    readonly client: Client,
    private readonly transport: Transport,
    private readonly onGone: () => void,
  ) {}

  /**
   * An http upstream has no connection whose loss says it died: it is gone when it no longer knows the
   * session (404) or cannot be reached at all. Either way the downstream session ends, once.
   */
  private noticeFailure(error: unknown): void {
    const lostSession = error instanceof StreamableHTTPError && error.code === 404;
    const unreachable = error instanceof TypeError && /fetch failed/i.test(error.message);
    if ((lostSession || unreachable) && !this.gone && !this.closedByUs) {
      this.gone = true;
      this.onGone();
    }
  }

  static async connect(options: ConnectOptions): Promise<UpstreamLink> {
    const { server, logger } = options;
    const capabilities: Record<string, unknown> = {};
    for (const key of ['sampling', 'elicitation', 'roots'] as const) {
      if (options.clientCapabilities[key] !== undefined) capabilities[key] = options.clientCapabilities[key];
    }
    const client = new Client(options.clientInfo, { capabilities });
    client.fallbackRequestHandler = async (request) => (await options.handlers.onRequest(request.method, request.params as Record<string, unknown> | undefined)) as never;
    client.fallbackNotificationHandler = async (notification) => options.handlers.onNotification(notification.method, notification.params as Record<string, unknown> | undefined);

    let transport: Transport;
    if (server.transport === 'http') {
      if (!server.url) throw new Error(`upstream ${server.name} has no URL`);
      transport = new StreamableHTTPClientTransport(new URL(server.url), {
        fetch: async (url, init) => {
          const headers = new Headers(init?.headers);
          // The SDK resumes a closed stream with GET + Last-Event-ID; seeing that is how a pause is noticed.
          if ((init?.method ?? 'GET') === 'GET' && headers.has('last-event-id')) options.handlers.onStreamPaused();
          // Per request, so expiring upstream tokens are renewed mid-session.
          for (const [name, value] of Object.entries(await options.credentials.headers(server, options.secrets, options.caller))) headers.set(name, value);
          return fetch(url, { ...init, headers });
        },
      });
    } else {
      if (!server.command) throw new Error(`upstream ${server.name} has no command`);
      const wait = options.stdio.backoffMs(server.id);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const launch = options.stdio.command(server.command, server.args);
      const stdio = new StdioClientTransport({
        command: launch.command,
        args: launch.args,
        // Only what the server needs: PATH to find its runtime, plus its own configured variables.
        env: { PATH: process.env['PATH'] ?? '', ...(options.secrets.env ?? {}) },
        stderr: 'pipe',
      });
      stdio.stderr?.on('data', (chunk: Buffer) => {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) logger.info({ upstream: server.name, stream: 'stderr' }, line.slice(0, 2000));
      });
      transport = stdio;
    }
    const link = new UpstreamLink(server, client, transport, () => options.handlers.onClose());
    client.onerror = (error) => logger.warn({ upstream: server.name, err: error }, 'upstream protocol error');
    client.onclose = () => {
      if (link.up && !link.closedByUs && !link.gone) {
        link.gone = true;
        if (server.transport === 'stdio') options.stdio.crashed(server.id);
        options.handlers.onClose();
      }
    };
    await client.connect(transport);
    link.interceptProgress();
    link.up = true;
    return link;
  }

  /**
   * Progress notifications are taken off the transport before the SDK sees them: the SDK runs
   * notification handlers a microtask late but resolves responses at once, so the last progress of a
   * call, arriving in the same read as the result, would find its handler already gone.
   */
  private interceptProgress(): void {
    const deliver = this.transport.onmessage;
    this.transport.onmessage = (message, extra) => {
      if ('method' in message && message.method === 'notifications/progress' && !('id' in message)) {
        const params = (message.params ?? {}) as { progressToken?: unknown; progress?: number; total?: number; message?: string };
        const listener = typeof params.progressToken === 'string' ? this.progress.get(params.progressToken) : undefined;
        if (listener && typeof params.progress === 'number') {
          listener({
            progress: params.progress,
            ...(params.total !== undefined ? { total: params.total } : {}),
            ...(params.message !== undefined ? { message: params.message } : {}),
          });
          return;
        }
      }
      deliver?.(message, extra);
    };
  }

  /** Sends a request and returns the upstream's result unchanged; progress is reported through `onprogress`. */
  request(
    method: string,
    params: Record<string, unknown> | undefined,
    options: { signal?: AbortSignal; onprogress?: (progress: { progress: number; total?: number; message?: string }) => void } = {},
  ): Promise<Record<string, unknown>> {
    let sent = params;
    let token: string | undefined;
    if (options.onprogress) {
      token = `airlock-progress-${++this.progressCounter}`;
      this.progress.set(token, options.onprogress);
      sent = { ...params, _meta: { ...((params?.['_meta'] as Record<string, unknown> | undefined) ?? {}), progressToken: token } };
    }
    const pending = this.client.request({ method, ...(sent ? { params: sent } : {}) } as never, ResultSchema, {
      timeout: CALL_TIMEOUT_MS,
      ...(options.signal ? { signal: options.signal } : {}),
    }) as Promise<Record<string, unknown>>;
    return pending
      .catch((error: unknown) => {
        this.noticeFailure(error);
        throw error;
      })
      .finally(() => {
        if (token) this.progress.delete(token);
      });
  }

  notify(method: string, params?: Record<string, unknown>): Promise<void> {
    return this.client.notification({ method, ...(params ? { params } : {}) } as never);
  }

  capabilities(): Record<string, unknown> {
    return (this.client.getServerCapabilities() ?? {}) as Record<string, unknown>;
  }

  async close(): Promise<void> {
    this.closedByUs = true;
    // Streamable HTTP: DELETE the upstream session so the upstream frees it now, not at its idle timeout.
    if (this.transport instanceof StreamableHTTPClientTransport) await this.transport.terminateSession().catch(() => undefined);
    await this.client.close().catch(() => undefined);
  }
}
