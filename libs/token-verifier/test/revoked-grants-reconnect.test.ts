import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { revokedGrantKey } from '@airlock/contracts';
import { createRedisHotStore } from '@airlock/redis';
import type { HotStore } from '@airlock/redis';
import { RevokedGrantSet } from '../src/index.js';

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A redis-server of this test's own (never the shared one): stopped and started to cut pub/sub. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`)));
  });
  return child;
}

describe('revoked-grant set across a hot-store outage', () => {
  let port: number;
  let redis: ChildProcess;
  let subscriberSide: HotStore;
  let publisherSide: HotStore;
  let set: RevokedGrantSet;

  beforeAll(async () => {
    port = await freePort();
    redis = await startRedis(port);
    subscriberSide = createRedisHotStore({ url: `redis://127.0.0.1:${port}` });
    publisherSide = createRedisHotStore({ url: `redis://127.0.0.1:${port}` });
    // The regular rescan period is far beyond the test: only noticing the outage can catch up.
    set = new RevokedGrantSet({ hot: subscriberSide, resyncIntervalMs: 60_000 });
    await set.start();
  });

  afterAll(async () => {
    await set?.close();
    await subscriberSide?.close();
    await publisherSide?.close();
    redis?.kill('SIGKILL');
  });

  it('catches up on revocations it could not hear about once the hot store is back', async () => {
    redis.kill('SIGKILL');
    await once(redis, 'exit');
    // Long enough for the once-a-second check to notice the outage.
    await vi.waitFor(() => expect(subscriberSide.ping()).rejects.toThrow(), { timeout: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    redis = await startRedis(port);
    // Revoked while this replica was cut off: the marker is there, the message was never delivered.
    await vi.waitFor(() => publisherSide.set(revokedGrantKey('acme', 'g-missed'), 'token_replayed', { ttlMs: 600_000 }), { timeout: 10_000, interval: 100 });
    expect(set.has('acme', 'g-missed')).toBe(false);
    await vi.waitFor(() => expect(set.has('acme', 'g-missed')).toBe(true), { timeout: 10_000, interval: 100 });
  }, 30_000);
});
