import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { eventually } from './queue-backend.behaviour.js';

/** A free TCP port, so parallel runs (and other engineers) never share the throwaway server. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A throwaway redis-server this test owns, stopped and started at will. */
export class ThrowawayRedis {
  private process: ChildProcess | undefined;
  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawnGuardedRedis(this.port);
    this.process = child;
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await eventually(() => output.includes('Ready to accept connections'), 10_000);
  }

  async stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (child) await killGuardedRedis(child);
  }
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

/** Has the guard kill (SIGKILL) and reap the server, and waits until both are gone. */
async function killGuardedRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}
