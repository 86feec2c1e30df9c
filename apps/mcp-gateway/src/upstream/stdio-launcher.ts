import { existsSync } from 'node:fs';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Logger } from '@airlock/observability';
import type { UpstreamServerRecord } from '../tenants/tenant-catalog.js';
import { StderrBudget, StderrRelay } from './stderr-relay.js';
import { SANDBOX_HOME, StdioSandbox } from './stdio-sandbox.js';
import type { SandboxSettings } from './stdio-sandbox.js';

export interface StdioLimits {
  /** Address-space limit (bytes) of the child process. */
  memoryBytes: number;
  /** Open file descriptors. */
  openFiles: number;
  /** CPU seconds (SIGXCPU/SIGKILL after). */
  cpuSeconds: number;
}

const PRLIMIT = ['/usr/bin/prlimit', '/bin/prlimit'].find((path) => existsSync(path));

export interface StdioLaunchSettings {
  /** The bubblewrap binary and the data directory no sandbox may see (see StdioSandbox). */
  sandbox: Omit<SandboxSettings, 'path'>;
  /** The gateway's variables every stdio server gets (PATH, LANG, TZ and the configured allow-list), from config. */
  inheritedEnv: Record<string, string>;
}

/** A started stdio server's transport, and its stderr (for the report of a failed start). */
export interface LaunchedStdio {
  transport: StdioClientTransport;
  stderr: StderrRelay;
}

/**
 * How a stdio upstream is started: in its bubblewrap sandbox (unless the operator opted the server out),
 * with an allow-listed environment, under `prlimit` (util-linux) with the configured resource limits when
 * it exists, its stderr relayed to the log within a budget, and after a back-off when the same server
 * keeps dying (a crash loop must not turn every client's re-initialize into a fork storm).
 */
export class StdioLauncher {
  private readonly exits = new Map<string, number[]>();
  private readonly budgets = new Map<string, StderrBudget>();
  private readonly sandbox: StdioSandbox;

  constructor(
    private readonly limits: StdioLimits | undefined,
    private readonly settings: StdioLaunchSettings,
  ) {
    this.sandbox = new StdioSandbox({ ...settings.sandbox, path: settings.inheritedEnv['PATH'] });
  }

  /**
   * Builds the transport of one server process (spawned when the client connects). Throws
   * `StdioSandboxError` when the sandbox cannot be built: a sandboxed server never starts without it.
   */
  launch(server: UpstreamServerRecord & { command: string }, serverEnv: Record<string, string>, tags: { tenant: string }, logger: Logger): LaunchedStdio {
    // Only what the server needs: the allow-listed variables and its own configured ones; HOME is its sandbox's.
    const env = server.sandbox ? { ...this.settings.inheritedEnv, HOME: SANDBOX_HOME, ...serverEnv } : { ...this.settings.inheritedEnv, ...serverEnv };
    const started = server.sandbox ? this.sandbox.wrap({ command: server.command, args: server.args, env, readOnlyPaths: server.readOnlyPaths }) : { command: server.command, args: server.args };
    // prlimit outside bwrap: the limits hold for the sandbox and everything in it.
    const { command, args } = this.command(started.command, started.args);
    const transport = new StdioClientTransport({ command, args, env, stderr: 'pipe' });
    let budget = this.budgets.get(server.id);
    if (!budget) this.budgets.set(server.id, (budget = new StderrBudget()));
    const stderr = new StderrRelay(logger, { tenant: tags.tenant, upstream: server.name }, budget);
    transport.stderr?.on('data', (chunk: Buffer) => stderr.write(chunk));
    transport.stderr?.on('end', () => stderr.end());
    return { transport, stderr };
  }

  command(command: string, args: string[]): { command: string; args: string[] } {
    if (!this.limits || !PRLIMIT) return { command, args };
    const { memoryBytes, openFiles, cpuSeconds } = this.limits;
    return { command: PRLIMIT, args: [`--as=${memoryBytes}`, `--nofile=${openFiles}`, `--cpu=${cpuSeconds}`, '--', command, ...args] };
  }

  /** Records an exit the gateway did not ask for. */
  crashed(serverId: string): void {
    const now = Date.now();
    const recent = (this.exits.get(serverId) ?? []).filter((at) => now - at < 60_000);
    recent.push(now);
    this.exits.set(serverId, recent);
  }

  /** Milliseconds to wait before the next start: none for the first two crashes a minute, then doubling to 30 s. */
  backoffMs(serverId: string): number {
    const now = Date.now();
    const recent = (this.exits.get(serverId) ?? []).filter((at) => now - at < 60_000);
    if (recent.length < 3) return 0;
    const wait = Math.min(30_000, 250 * 2 ** (recent.length - 3));
    return Math.max(0, recent[recent.length - 1]! + wait - now);
  }
}
