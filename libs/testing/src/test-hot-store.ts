import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { loadConfig, redisUrl } from '@airlock/config';
import { createRedisHotStore, MemoryHotStoreHub } from '@airlock/redis';
import type { HotStore } from '@airlock/redis';

/** REDIS_URL of the test run (parsed once); unset means the in-process stand-ins. */
export const testRedisUrl: string | undefined = loadConfig(z.object({ REDIS_URL: redisUrl.optional() })).REDIS_URL;

export interface TestHotStore extends HotStore {
  /** The key prefix this store lives under (unique per call). */
  readonly keyPrefix: string;
  /**
   * Another client of the same backend and prefix: a second replica's connection (on Redis) or a second
   * client of the same in-process hub. Closed with this store.
   */
  peer(): HotStore;
}

/**
 * A hot store of its own: real Redis under a unique `test:<random>:` prefix when REDIS_URL is set, the
 * in-process stand-in otherwise. close() deletes the prefix's keys and closes every peer.
 */
export function createTestHotStore(): TestHotStore {
  const keyPrefix = `test:${randomBytes(6).toString('hex')}:`;
  const url = testRedisUrl;
  const hub = url ? undefined : new MemoryHotStoreHub();
  const open = (): HotStore => (url ? createRedisHotStore({ url, keyPrefix }) : (hub as MemoryHotStoreHub).client({ keyPrefix }));
  const main = open();
  const peers: HotStore[] = [];
  let closed = false;
  return extend(main, {
    keyPrefix,
    peer: () => {
      const peer = open();
      peers.push(peer);
      return peer;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await Promise.all(peers.map((p) => p.close()));
      if (url) await main.scan('*').then((keys) => main.del(...keys), () => 0);
      await main.close();
      hub?.close();
    },
  });
}

/**
 * `target` with some members added or replaced; every other method still runs with `this` = target (a
 * prototype-based copy would let the target's own writes land on the copy).
 * @internal shared with test-queues.ts
 */
export function extend<T extends object, E extends object>(target: T, extension: E): T & E {
  return new Proxy(target, {
    get(object, property) {
      if (Object.prototype.hasOwnProperty.call(extension, property)) return (extension as Record<PropertyKey, unknown>)[property];
      const value: unknown = Reflect.get(object, property, object);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(object) : value;
    },
  }) as T & E;
}

/**
 * A redis-server of the test's own on a free port (no persistence), for tests that stop Redis mid-run and
 * start it again. Needs `redis-server` on PATH.
 */
export interface ThrowawayRedis {
  readonly url: string;
  readonly port: number;
  /** Kills the server (SIGKILL: no goodbye to clients, like a crash or a network cut). */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
}

export async function startThrowawayRedis(): Promise<ThrowawayRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const server: ThrowawayRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      if (child && child.exitCode === null) return;
      const started = spawnGuardedRedis(port);
      child = started;
      let output = '';
      started.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const deadline = Date.now() + 10_000;
      while (!output.includes('Ready to accept connections')) {
        if (started.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}:\n${output}`);
        await sleep(10);
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

async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const address = probe.address();
  probe.close();
  if (!address || typeof address === 'string') throw new Error('could not find a free port');
  return address.port;
}
