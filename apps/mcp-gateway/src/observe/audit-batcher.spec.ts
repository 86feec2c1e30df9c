import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { AUDIT_BATCH_JOB, auditBatchSchema, Queues } from '@airlock/contracts';
import type { AuditEvent } from '@airlock/contracts';
import { QueueUnavailableError } from '@airlock/queue';
import type { Job, QueueBackend } from '@airlock/queue';
import { createTestLogger, createTestQueues } from '@airlock/testing';
import type { TestQueues } from '@airlock/testing';
import { AuditBatcher } from './audit-batcher.js';

const event = (): AuditEvent => ({
  id: randomUUID(),
  tenant: 'acme',
  occurredAt: new Date().toISOString(),
  actor: { subject: 'alice', clientId: 'client-a' },
  action: 'mcp.tools.call',
  target: 'web/echo',
  outcome: 'success',
  details: { latencyMs: 2 },
});

async function until(probe: () => boolean): Promise<void> {
  while (!probe()) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('AuditBatcher', () => {
  let queues: TestQueues;
  const jobs: Array<Job<unknown>> = [];
  const received = () => jobs.flatMap((job) => auditBatchSchema.parse(job.data).events);

  const start = () => {
    jobs.length = 0;
    queues = createTestQueues();
    queues.work<unknown>(Queues.audit, async (job) => void jobs.push(job));
    return queues;
  };
  afterEach(async () => {
    await queues?.close();
  });

  it('enqueues one job per maxRecords records, the rest after flushMs, every record once', async () => {
    const batcher = new AuditBatcher(start(), createTestLogger(), { maxRecords: 10, flushMs: 30 });
    const events = Array.from({ length: 25 }, event);
    for (const e of events) batcher.record(e);
    await until(() => received().length >= 25);
    expect(jobs.map((job) => job.name)).toEqual([AUDIT_BATCH_JOB, AUDIT_BATCH_JOB, AUDIT_BATCH_JOB]);
    expect(jobs.map((job) => auditBatchSchema.parse(job.data).events.length).sort()).toEqual([10, 10, 5]);
    expect(received().sort((a, b) => a.id.localeCompare(b.id))).toEqual([...events].sort((a, b) => a.id.localeCompare(b.id)));
    await batcher.close();
  });

  it('hands over what it holds on close (graceful stop), and a record after close at once', async () => {
    const batcher = new AuditBatcher(start(), createTestLogger(), { maxRecords: 100, flushMs: 600_000 });
    const events = Array.from({ length: 3 }, event);
    for (const e of events) batcher.record(e);
    expect(batcher.size).toBe(3);
    await batcher.close();
    expect(batcher.size).toBe(0);
    await queues.drain(Queues.audit);
    expect(received().map((e) => e.id).sort()).toEqual(events.map((e) => e.id).sort());
    const late = event();
    batcher.record(late);
    expect(batcher.size).toBe(0);
    await batcher.close();
    await queues.drain(Queues.audit);
    expect(received().map((e) => e.id)).toContain(late.id);
  });

  it('keeps records while the queue refuses them (bounded) and sends them once it is back', async () => {
    const real = start();
    let down = true;
    const flaky: QueueBackend = {
      ...real,
      enqueue: (queue, name, data, options) => (down ? Promise.reject(new QueueUnavailableError('Redis at 127.0.0.1:1 is not reachable')) : real.enqueue(queue, name, data, options)),
    };
    const logger = createTestLogger();
    const batcher = new AuditBatcher(flaky, logger, { maxRecords: 4, flushMs: 5, retryMs: 40, maxHeld: 6 });
    const events = Array.from({ length: 8 }, event);
    for (const e of events) batcher.record(e);
    await until(() => logger.records.some((r) => r.msg === 'audit enqueue failed; records held for a retry' && r['dropped'] === 2));
    expect(batcher.size).toBe(6);
    down = false;
    await until(() => received().length >= 6);
    await batcher.close();
    await queues.drain(Queues.audit);
    // Two were dropped (the bound); the six others arrive once each; the log names no record.
    const ids = received().map((e) => e.id);
    expect(ids).toHaveLength(6);
    expect(new Set(ids).size).toBe(6);
    expect(events.map((e) => e.id)).toEqual(expect.arrayContaining(ids));
    for (const e of events) expect(JSON.stringify(logger.records)).not.toContain(e.id);
  });
});
