import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

/**
 * A redis-server of the test's own on a free port (no persistence), for tests that stop Redis mid-run
 * and start it again. Needs `redis-server` on PATH: run such suites only when REDIS_URL is set
 * (`describe.skipIf(!testRedisUrl)`), since the embedded mode promises nothing installed.
 */
export interface ThrowawayRedis {
  readonly port: number;
  readonly url: string;
  /** Starts it again on the same port, empty; a no-op while it runs. */
  start(): Promise<void>;
  /** Kills it (SIGKILL: no goodbye to clients, like a crash or a network cut) and waits until it is gone. */
  stop(): Promise<void>;
}

const READY = 'Ready to accept connections';
const START_TIMEOUT_MS = 10_000;

/** Starts a throwaway redis-server, on `port` when given (see freePort) or on a free one. */
export async function startThrowawayRedis(options: { port?: number } = {}): Promise<ThrowawayRedis> {
  const port = options.port ?? (await freePort());
  let child: ChildProcess | undefined;
  const server: ThrowawayRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      if (child) return;
      const started = spawnGuardedRedis(port);
      child = started;
      try {
        await untilReady(started, port);
      } catch (error) {
        child = undefined;
        await killGuardedRedis(started);
        throw error;
      }
    },
    async stop() {
      const running = child;
      child = undefined;
      if (running) await killGuardedRedis(running);
    },
  };
  await server.start();
  return server;
}

/** A TCP port nobody listens on right now, so parallel runs (and other engineers) never share a server. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const address = probe.address();
  probe.close();
  if (!address || typeof address === 'string') throw new Error('could not find a free port');
  return address.port;
}

/**
 * redis-server under a small sh guard: the guard kills the server when this process goes away without
 * stopping it (a test worker killed on timeout), so no server outlives its test.
 */
function spawnGuardedRedis(port: number): ChildProcess {
  // The guard reaps the server itself (`wait`): a killed orphan would stay a zombie where PID 1 reaps nothing.
  const guard = [
    'redis-server "$@" & server=$!',
    "trap 'kill -9 $server 2>/dev/null; wait $server; exit 0' TERM",
    `while kill -0 ${process.pid} 2>/dev/null && kill -0 $server 2>/dev/null; do sleep 0.2; done`,
    'kill -9 $server 2>/dev/null; wait $server',
  ].join('\n');
  return spawn('sh', ['-c', guard, 'sh', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
}

/** Resolves on the server's ready line; rejects when it exits first or takes too long (with its output). */
function untilReady(child: ChildProcess, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const finish = (error?: Error) => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      // Keep draining the server's log: a full pipe would block it.
      child.stdout?.resume();
      if (error) reject(error);
      else resolve();
    };
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(READY)) finish();
    };
    const onExit = (code: number | null) => finish(new Error(`redis-server on port ${port} exited (${code}) before accepting connections:\n${output}`));
    const timer = setTimeout(() => finish(new Error(`redis-server did not start on port ${port} within ${START_TIMEOUT_MS} ms:\n${output}`)), START_TIMEOUT_MS);
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Has the guard kill (SIGKILL) and reap the server, and waits until both are gone. */
async function killGuardedRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}
