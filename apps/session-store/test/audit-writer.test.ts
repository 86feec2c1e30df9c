import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '@airlock/contracts';
import type { Job } from '@airlock/queue';
import { createTestDatabase } from '@airlock/testing';
import { AuditWriter } from '../src/audit/audit.writer.js';
import { TenantDirectory } from '@airlock/platform';

type TestDatabase = Awaited<ReturnType<typeof createTestDatabase>>;

/** A query's SQL, whether passed as text or as a (prepared) query config. */
const sqlOf = (query: unknown): string => (typeof query === 'string' ? query : String((query as { text?: unknown }).text));

describe('AuditWriter', () => {
  let db: TestDatabase;
  const slug = `audit-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.pg.query(`INSERT INTO tenants (id, slug, display_name, updated_at) VALUES ($1, $2, $2, now())`, [randomUUID(), slug]);
  }, 60_000);
  afterAll(async () => {
    await db?.close();
  });

  const event = (overrides: Partial<AuditEvent> = {}): AuditEvent => ({
    id: randomUUID(),
    tenant: slug,
    occurredAt: new Date().toISOString(),
    actor: { subject: 'alice', clientId: 'app' },
    action: 'mcp.tools.call',
    target: 'files/read',
    outcome: 'success',
    details: { latencyMs: 3 },
    ...overrides,
  });
  const job = (data: AuditEvent): Job<unknown> => ({ id: data.id, name: 'audit.record', data, attempt: 1 });
  const countOf = async (ids: string[]) => Number((await db.pg.query<{ n: string }>('SELECT count(*) AS n FROM audit_events WHERE id = ANY($1)', [ids])).rows[0]?.n);

  it('writes jobs handled at once in shared INSERTs, every row once, duplicates included', async () => {
    let inserts = 0;
    const counting = {
      query: (...args: Parameters<TestDatabase['pg']['query']>) => {
        if (sqlOf(args[0]).startsWith('INSERT INTO audit_events')) inserts++;
        return db.pg.query(...args);
      },
    } as unknown as TestDatabase['pg'];
    const tenants = new TenantDirectory(db.pg);
    await tenants.idOf(slug);
    const writer = new AuditWriter(counting, tenants, { maxBatch: 7, windowMs: 20 });
    const events = Array.from({ length: 30 }, () => event());
    // Redelivered jobs (same event id) in the same and in a later batch.
    const first = events[0] as AuditEvent;
    await Promise.all([...events, first].map((e) => writer.handle(job(e))));
    expect(inserts).toBe(5);
    await writer.handle(job(first));
    expect(await countOf(events.map((e) => e.id))).toBe(30);
    const row = (await db.pg.query('SELECT actor_subject, actor_client_id, action, target, outcome, details FROM audit_events WHERE id = $1', [first.id])).rows[0];
    expect(row).toEqual({ actor_subject: 'alice', actor_client_id: 'app', action: 'mcp.tools.call', target: 'files/read', outcome: 'success', details: { latencyMs: 3 } });
  });

  it('fails only the job whose row Postgres refuses, not the rows that shared its INSERT', async () => {
    const writer = new AuditWriter(db.pg, new TenantDirectory(db.pg), { windowMs: 20 });
    const good = Array.from({ length: 5 }, () => event());
    const bad = event({ occurredAt: 'not a timestamp' });
    const outcomes = await Promise.allSettled([...good, bad].map((e) => writer.handle(job(e))));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
    expect(await countOf(good.map((e) => e.id))).toBe(5);
    expect(await countOf([bad.id])).toBe(0);
  });

  it("writes a refused tool call (the gateway's audit of a refusal) with its reason", async () => {
    const writer = new AuditWriter(db.pg, new TenantDirectory(db.pg), { windowMs: 20 });
    const refused = event({ outcome: 'refused', target: 'files/write', details: { latencyMs: 0, reason: 'insufficient_scope' } });
    await writer.handle(job(refused));
    const row = (await db.pg.query('SELECT outcome, details FROM audit_events WHERE id = $1', [refused.id])).rows[0];
    expect(row).toEqual({ outcome: 'refused', details: { latencyMs: 0, reason: 'insufficient_scope' } });
  });

  const batchJob = (events: unknown[]): Job<unknown> => ({ id: randomUUID(), name: 'audit.batch', data: { events }, attempt: 1 });

  it('writes every record of a batch job once, and a retried or overlapping batch adds nothing', async () => {
    let inserts = 0;
    const counting = {
      query: (...args: Parameters<TestDatabase['pg']['query']>) => {
        if (sqlOf(args[0]).startsWith('INSERT INTO audit_events')) inserts++;
        return db.pg.query(...args);
      },
    } as unknown as TestDatabase['pg'];
    const writer = new AuditWriter(counting, new TenantDirectory(db.pg), { maxBatch: 100, windowMs: 20 });
    const events = Array.from({ length: 150 }, () => event());
    const job = batchJob(events);
    expect(await writer.handle(job)).toEqual({ stored: 150, refused: [] });
    // 150 rows, at most 100 per INSERT.
    expect(inserts).toBe(2);
    expect(await countOf(events.map((e) => e.id))).toBe(150);
    // The same job run again (a worker died after the INSERT), and a later batch sharing half its records.
    expect(await writer.handle(job)).toEqual({ stored: 150, refused: [] });
    const later = [...events.slice(75), event()];
    await writer.handle(batchJob(later));
    expect(await countOf([...events, ...later].map((e) => e.id))).toBe(151);
    const last = later[later.length - 1] as AuditEvent;
    const row = (await db.pg.query('SELECT actor_subject, action, target, outcome, details FROM audit_events WHERE id = $1', [last.id])).rows[0];
    expect(row).toEqual({ actor_subject: 'alice', action: 'mcp.tools.call', target: 'files/read', outcome: 'success', details: { latencyMs: 3 } });
  });

  it('refuses the malformed, unknown-tenant and Postgres-refused records of a batch alone: the others land and the job completes', async () => {
    const writer = new AuditWriter(db.pg, new TenantDirectory(db.pg), { windowMs: 20 });
    const good = Array.from({ length: 4 }, () => event());
    const noOutcome = { ...event(), outcome: 'maybe' };
    const badTime = event({ occurredAt: 'not a timestamp' });
    const otherTenant = event({ tenant: 'no-such-tenant' });
    const outcome = await writer.handle(batchJob([good[0], noOutcome, good[1], badTime, good[2], otherTenant, good[3], 'not a record']));
    expect(outcome.stored).toBe(4);
    expect(outcome.refused).toEqual([
      { index: 1, id: noOutcome.id, reason: expect.stringMatching(/^malformed: outcome /) },
      { index: 3, id: badTime.id, reason: expect.stringMatching(/^refused by Postgres \(SQLSTATE 22/) },
      { index: 5, id: otherTenant.id, reason: 'no tenant with slug no-such-tenant' },
      { index: 7, id: undefined, reason: expect.stringMatching(/^malformed: /) },
    ]);
    expect(await countOf(good.map((e) => e.id))).toBe(4);
    expect(await countOf([noOutcome.id, badTime.id, otherTenant.id])).toBe(0);
  });

  it('takes records of the exact shape as they are and lets the schema settle the rest (defaults, extra keys, nulls)', async () => {
    const writer = new AuditWriter(db.pg, new TenantDirectory(db.pg), { windowMs: 5 });
    const { details: _omitted, ...noDetails } = event();
    const extra = { ...event(), unknownKey: 1, actor: { subject: 'bob', extra: true } };
    const nullTarget = { ...event(), target: null };
    const arrayDetails = { ...event(), details: [1, 2] };
    const outcome = await writer.handle(batchJob([noDetails, extra, nullTarget, arrayDetails]));
    expect(outcome.stored).toBe(2);
    expect(outcome.refused.map((r) => [r.index, r.reason.split(' ').slice(0, 2).join(' ')])).toEqual([
      [2, 'malformed: target'],
      [3, 'malformed: details'],
    ]);
    const rows = (await db.pg.query('SELECT id, actor_subject, details FROM audit_events WHERE id = ANY($1) ORDER BY actor_subject', [[noDetails.id, extra.id]])).rows;
    expect(rows).toEqual([
      { id: noDetails.id, actor_subject: 'alice', details: {} },
      { id: extra.id, actor_subject: 'bob', details: { latencyMs: 3 } },
    ]);
  });

  it('fails the whole batch job while Postgres is unreachable, and its retry writes every record once', async () => {
    let down = true;
    const flaky = {
      query: (...args: Parameters<TestDatabase['pg']['query']>) => {
        if (down && sqlOf(args[0]).startsWith('INSERT INTO audit_events')) return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
        return db.pg.query(...args);
      },
    } as unknown as TestDatabase['pg'];
    const writer = new AuditWriter(flaky, new TenantDirectory(db.pg), { windowMs: 5 });
    const events = Array.from({ length: 10 }, () => event());
    const job = batchJob(events);
    await expect(writer.handle(job)).rejects.toThrow(/ECONNREFUSED/);
    expect(await countOf(events.map((e) => e.id))).toBe(0);
    down = false;
    expect(await writer.handle({ ...job, attempt: 2 })).toEqual({ stored: 10, refused: [] });
    expect(await countOf(events.map((e) => e.id))).toBe(10);
  });

  it('rejects a batch job whose envelope is malformed (nothing to write)', async () => {
    const writer = new AuditWriter(db.pg, new TenantDirectory(db.pg));
    await expect(writer.handle(batchJob([]))).rejects.toThrow();
    await expect(writer.handle({ id: 'x', name: 'audit.batch', data: { events: 'nope' }, attempt: 1 })).rejects.toThrow();
  });

  it('refuses an event of an unknown tenant', async () => {
    const writer = new AuditWriter(db.pg, new TenantDirectory(db.pg));
    await expect(writer.handle(job(event({ tenant: 'no-such-tenant' })))).rejects.toThrow(/no tenant/);
  });
});
