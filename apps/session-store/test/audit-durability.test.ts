import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { sessionStoreConfigSchema } from '@airlock/config';
import { Queues } from '@airlock/contracts';
import type { AuditEvent } from '@airlock/contracts';
import { createInfra } from '@airlock/platform';
import type { Infra } from '@airlock/platform';
import { createTestDatabase, createTestLogger } from '@airlock/testing';
import { startSessionStore } from '../src/index.js';
import { AuditWriter } from '../src/audit/audit.writer.js';
import { TenantDirectory } from '@airlock/platform';

const config = sessionStoreConfigSchema.parse({ SESSION_STORE_PORT: '0', SESSION_STORE_URL: 'http://sessions.airlock.test', AUTH_PUBLIC_URL: 'http://127.0.0.1:9', LOG_LEVEL: 'warn' });

const auditEvent = (tenant: string): AuditEvent => ({
  id: randomUUID(),
  tenant,
  occurredAt: new Date().toISOString(),
  actor: { subject: 'alice' },
  action: 'durability.check',
  outcome: 'success',
  details: {},
});

/** The session store, with its workers, on the platform's infra: the audit job is written by the real worker. */
async function recordThroughSessionStore(infra: Infra, event: AuditEvent, after: AuditEvent): Promise<void> {
  const logger = createTestLogger({ level: 'warn' });
  const store = await startSessionStore({ config, infra, logger, tuning: { expirySweepEveryMs: 3_600_000 } });
  try {
    // One try: a failure shows at once instead of after ten backoffs.
    await infra.queues.enqueue(Queues.audit, 'audit.record', event, { jobId: event.id, attempts: 1 });
    await infra.queues.drain(Queues.audit, 20_000);
    // What pg's idle timeout does after 10 s without traffic: the pool's connections are closed, the next
    // query opens a new one (on the embedded server, into the same backend session).
    await recyclePoolConnections(infra.pg);
    await infra.queues.enqueue(Queues.audit, 'audit.record', after, { jobId: after.id, attempts: 1 });
    await infra.queues.drain(Queues.audit, 20_000);
  } finally {
    await store.close();
  }
}

async function recyclePoolConnections(pool: pg.Pool): Promise<void> {
  const clients = await Promise.all(Array.from({ length: Math.max(1, pool.totalCount) }, () => pool.connect()));
  for (const client of clients) client.release(true);
}

describe('audit records survive a restart', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'airlock-audit-durability-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  // Each of these migrates a fresh embedded database (PGlite, every migration): ~20-40 s on a loaded 2-CPU machine.
  it('embedded mode: a record written before and one after a restart of the same data directory are both stored', async () => {
    const runtime = { env: 'development' as const, logLevel: 'warn' as const, dataDir, databaseUrl: undefined, redisUrl: undefined, masterKey: undefined };
    const tenant = `durability-${randomUUID().slice(0, 8)}`;
    const events = [auditEvent(tenant), auditEvent(tenant), auditEvent(tenant), auditEvent(tenant)] as const;

    const infra1 = await createInfra({ runtime, logger: createTestLogger({ level: 'warn' }), migrate: true });
    try {
      await infra1.pg.query(`INSERT INTO tenants (id, slug, display_name, updated_at) VALUES ($1, $2, $2, now())`, [randomUUID(), tenant]);
      await recordThroughSessionStore(infra1, events[0], events[1]);
    } finally {
      await infra1.close();
    }

    const infra2 = await createInfra({ runtime, logger: createTestLogger({ level: 'warn' }), migrate: true });
    try {
      await recordThroughSessionStore(infra2, events[2], events[3]);
      const { rows } = await infra2.pg.query<{ id: string }>('SELECT id FROM audit_events WHERE id = ANY($1)', [events.map((e) => e.id)]);
      expect(rows.map((row) => row.id).sort()).toEqual(events.map((e) => e.id).sort());
    } finally {
      await infra2.close();
    }
  }, 120_000);

  // A guard for the fix on a real server (each connection its own session, so named statements did work
  // there): the writer must keep working when every query gets a new connection.
  it('Postgres with a pool that opens a new connection for every query: every record is stored', async () => {
    const db = await createTestDatabase();
    const pool = new pg.Pool({ connectionString: db.url, max: 4, maxUses: 1 });
    try {
      const tenant = `durability-${randomUUID().slice(0, 8)}`;
      await pool.query(`INSERT INTO tenants (id, slug, display_name, updated_at) VALUES ($1, $2, $2, now())`, [randomUUID(), tenant]);
      const writer = new AuditWriter(pool, new TenantDirectory(pool), { windowMs: 0 });
      const events = [auditEvent(tenant), auditEvent(tenant), auditEvent(tenant)];
      for (const [index, event] of events.entries()) await writer.handle({ id: event.id, name: 'audit.record', data: event, attempt: index + 1 });
      const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM audit_events WHERE id = ANY($1)', [events.map((e) => e.id)]);
      expect(Number(rows[0]?.n)).toBe(events.length);
    } finally {
      await pool.end();
      await db.close();
    }
  });
});

describe('an audit job dropped after its last attempt', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'airlock-audit-dropped-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('turns /readyz degraded (still 200) with the count per queue, and is logged at error without the record', async () => {
    const runtime = { env: 'development' as const, logLevel: 'info' as const, dataDir, databaseUrl: undefined, redisUrl: undefined, masterKey: undefined };
    const logger = createTestLogger({ level: 'info' });
    const infra = await createInfra({ runtime, logger, migrate: true });
    const store = await startSessionStore({ config, infra, logger, tuning: { expirySweepEveryMs: 3_600_000 } });
    try {
      const before = await fetch(`${store.url}/readyz`);
      expect(before.status).toBe(200);
      expect(await before.json()).toMatchObject({ status: 'ready' });

      // No such tenant: the writer fails the job, and with one attempt it is dropped.
      const event = { ...auditEvent('no-such-tenant'), details: { secretish: 'sk-do-not-log' } };
      await infra.queues.enqueue(Queues.audit, 'audit.record', event, { jobId: event.id, attempts: 1 });
      await infra.queues.drain(Queues.audit, 20_000);

      const after = await fetch(`${store.url}/readyz`);
      expect(after.status).toBe(200);
      expect(await after.json()).toMatchObject({
        status: 'degraded',
        checks: { queues: 'degraded', postgres: 'ok' },
        details: { queues: { failedJobs: { audit: { count: 1, jobs: { 'audit.record': 1 } } } } },
      });
      const errors = logger.records.filter((record) => record.level === 'error' || Number(record.level) >= 50);
      expect(errors).toEqual([expect.objectContaining({ queue: 'audit', job: 'audit.record', jobId: event.id })]);
      expect(JSON.stringify(logger.records)).not.toContain('sk-do-not-log');
    } finally {
      await store.close();
      await infra.close();
    }
  }, 120_000);
});
