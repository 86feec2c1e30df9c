import { existsSync } from 'node:fs';

export interface StdioLimits {
  /** Address-space limit (bytes) of the child process. */
  memoryBytes: number;
  /** Open file descriptors. */
  openFiles: number;
  /** CPU seconds (SIGXCPU/SIGKILL after). */
  cpuSeconds: number;
}

const PRLIMIT = ['/usr/bin/prlimit', '/bin/prlimit'].find((path) => existsSync(path));

/**
 * How a stdio upstream is started: under `prlimit` (util-linux) with the configured resource limits when
 * it exists, and after a back-off when the same server keeps dying (a crash loop must not turn every
 * client's re-initialize into a fork storm).
 */
export class StdioLauncher {
  private readonly exits = new Map<string, number[]>();

  constructor(private readonly limits: StdioLimits | undefined) {}

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
