import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createBullMqBackend } from '../src/index.js';
import type { Job } from '../src/index.js';
import { NEEDS_REDIS, testRedisUrl } from '@airlock/redis/testing';
import { eventually } from './queue-backend.behaviour.js';

const prefix = `test-q:${randomBytes(4).toString('hex')}:crash`;
const fixture = fileURLToPath(new URL('./fixtures/take-job-and-hang.mjs', import.meta.url));

describe.skipIf(!testRedisUrl)(`BullMQ backend: a worker killed mid-job ${NEEDS_REDIS}`, () => {
  const url = testRedisUrl ?? '';

  afterAll(async () => {
    const redis = new Redis(url);
    for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 500 })) if ((keys as string[]).length > 0) await redis.del(...(keys as string[]));
    await redis.quit();
  });

  it('loses nothing: another worker completes the job once the dead worker\'s lock expires', async () => {
    const backend = createBullMqBackend({ url, prefix, stalledIntervalMs: 300, lockDurationMs: 1000 });
    try {
      await backend.enqueue('durable-writes', 'write-audit', { event: 'session.revoked', sessionId: 's-1' }, { jobId: 'audit-s-1' });

      const child = spawn(process.execPath, [fixture, url, prefix, 'durable-writes', '1000'], { stdio: ['ignore', 'pipe', 'inherit'] });
      let output = '';
      child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      await eventually(() => output.includes('took audit-s-1'));
      expect(output).toContain('attempt 1');
      child.kill('SIGKILL');
      await once(child, 'exit');

      const completed: Array<Job<{ event: string; sessionId: string }>> = [];
      backend.work<{ event: string; sessionId: string }>('durable-writes', async (job) => void completed.push(job));
      await eventually(() => completed.length === 1, 15_000);
      await backend.drain('durable-writes');
      expect(completed).toEqual([{ id: 'audit-s-1', name: 'write-audit', data: { event: 'session.revoked', sessionId: 's-1' }, attempt: 2 }]);
    } finally {
      await backend.close();
    }
  });
});
