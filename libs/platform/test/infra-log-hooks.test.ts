import { afterEach, describe, expect, it, vi } from 'vitest';
import { createBullMqBackend, createMemoryQueueBackend } from '@airlock/queue';
import type { QueueBackend } from '@airlock/queue';
import { createRedisHotStore } from '@airlock/redis';
import type { HotStore } from '@airlock/redis';
import { freePort } from '@airlock/redis/testing';
import { createTestLogger } from '@airlock/testing';
import { infraLogHooks } from '../src/infra-log-hooks.js';

describe('infra log hooks', () => {
  const opened: Array<HotStore | QueueBackend> = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((backend) => backend.close()));
  });

  it('log a Redis outage once per period, whatever the retries, without the password', async () => {
    const logger = createTestLogger();
    const hooks = infraLogHooks(logger);
    // Nothing listens there: every reconnect attempt fails, as during an outage.
    const url = `redis://:hunter2@127.0.0.1:${await freePort()}`;
    let hotErrors = 0;
    let queueErrors = 0;
    opened.push(
      createRedisHotStore({ url, onConnectionError: (error) => (hotErrors++, hooks.onHotStoreError(error)) }),
      createBullMqBackend({ url, ...hooks.queues, onError: (error) => (queueErrors++, hooks.queues.onError(error)) }),
    );
    await vi.waitFor(() => expect(queueErrors).toBeGreaterThanOrEqual(3), { timeout: 10_000 });
    await vi.waitFor(() => expect(hotErrors).toBeGreaterThanOrEqual(1));
    expect(logger.records.map((r) => r.msg)).toEqual(expect.arrayContaining(['hot store connection error; reconnecting', 'queue connection error; reconnecting']));
    expect(logger.records).toHaveLength(2);
    expect(logger.records[0]).toMatchObject({ level: 'warn', suppressed: 0, failure: { message: expect.stringContaining('ECONNREFUSED') } });
    expect(JSON.stringify(logger.records)).not.toContain('hunter2');
  });

  it('log failing jobs, retries and final failures apart, once per period, without their data', async () => {
    const logger = createTestLogger();
    const queues = createMemoryQueueBackend(infraLogHooks(logger).queues);
    opened.push(queues);
    queues.work('audit', async () => {
      throw new Error('database unreachable');
    });
    await queues.enqueue('audit', 'write-event', { token: 'secret-token-value' }, { attempts: 3, backoffMs: 5 });
    await queues.enqueue('audit', 'write-event', { token: 'secret-token-value' }, { attempts: 1 });
    await vi.waitFor(() => expect(logger.records.filter((r) => r.level === 'error')).toHaveLength(1));
    await queues.drain('audit');
    expect(logger.records.map((r) => [r.level, r.msg])).toEqual([
      ['warn', 'job failed; retrying with backoff'],
      ['error', 'job failed for good after its last attempt'],
    ]);
    expect(logger.records[0]).toMatchObject({ queue: 'audit', job: 'write-event', attempt: 1, failure: { type: 'Error', message: 'database unreachable' } });
    expect(JSON.stringify(logger.records)).not.toContain('secret-token-value');
  });
});
