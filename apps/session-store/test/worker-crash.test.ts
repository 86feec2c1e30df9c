import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queues, SESSION_EVENTS_CHANNEL } from '@airlock/contracts';
import type { GrantRevokedEvent, Session, SessionEndedEvent } from '@airlock/contracts';
import { sessionRecordKey } from '@airlock/session-client';
import { SessionJobs } from '../src/index.js';
import { eventually, startHarness } from './support/harness.js';
import type { Harness } from './support/harness.js';
import { NEEDS_REDIS, testRedisUrl } from '@airlock/testing';

const fixture = fileURLToPath(new URL('./fixtures/take-job-partly-and-die.mjs', import.meta.url));

// A worker process is killed mid-job, which only BullMQ (a real Redis) can show: runs when REDIS_URL is set
// (the in-process queues die with their process). The database is the run's: real Postgres or PGlite.
describe.skipIf(!testRedisUrl)(`a session-store worker killed mid-job ${NEEDS_REDIS}`, () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ tuning: { workers: false } });
  });

  afterAll(async () => {
    await h?.close();
  });

  it('loses nothing: the job is taken over after the lock expires and its effect is whole and single', async () => {
    const write = await h.token('acme', 'sessions:write');
    const create = async () =>
      (await h.api('POST', '/v1/t/acme/sessions', { token: write, body: { subject: 'alice', clientId: 'claude', grantId: 'grant-crash' } })).json<Session>();
    const sessions = [await create(), await create(), await create()];
    const [partly] = sessions;
    if (!partly || !h.backends.redis) throw new Error('setup');
    const { url, hotPrefix, queuePrefix } = h.backends.redis;
    // Durable rows first (the harness's own workers are off: run them only for this).
    const upserts = h.queues.work(Queues.sessions, (job) => h.store.worker.handle(job));
    await h.queues.drain(Queues.sessions);
    await upserts.close();

    const events: SessionEndedEvent[] = [];
    await h.backends.hot().subscribe(SESSION_EVENTS_CHANNEL, (message) => events.push(JSON.parse(message) as SessionEndedEvent));
    const event: GrantRevokedEvent = { tenant: 'acme', grantId: 'grant-crash', reason: 'token_replayed', notAfter: Math.floor(Date.now() / 1000) + 600 };
    await h.queues.enqueue(Queues.sessions, SessionJobs.grantRevoked, event, { jobId: 'grant-crash-1' });

    const child = spawn(process.execPath, [fixture, url, queuePrefix, hotPrefix, Queues.sessions, '1000', sessionRecordKey('acme', partly.id)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await eventually(() => expect(output).toContain('took grant-crash-1 attempt 1'), 15_000);
    child.kill('SIGKILL');
    await once(child, 'exit');

    await h.store.worker.start({ expirySweepEveryMs: 3_600_000 });
    await eventually(async () => {
      await h.settle();
      const rows = await h.db.pg.query<{ id: string; state: string; ended_reason: string }>('SELECT id, state, ended_reason FROM sessions WHERE grant_id = $1', ['grant-crash']);
      expect(rows.rows.map((row) => [row.state, row.ended_reason])).toEqual(sessions.map(() => ['revoked', 'grant_revoked:token_replayed']));
    }, 20_000, 200);
    const read = await h.token('acme', 'sessions:read');
    for (const session of sessions) expect((await h.api('GET', `/v1/t/acme/sessions/${session.id}`, { token: read })).status).toBe(404);
    // Every session audited exactly once, including the one the dead worker had already taken down.
    const audits = await h.db.pg.query<{ target: string }>('SELECT target FROM audit_events WHERE target = ANY($1)', [sessions.map((s) => `session:${s.id}`)]);
    expect(audits.rows.map((row) => row.target).sort()).toEqual(sessions.map((s) => `session:${s.id}`).sort());
    // The two records the retry found live are announced once each.
    await eventually(() => expect(events.map((e) => e.sessionId).sort()).toEqual(sessions.slice(1).map((s) => s.id).sort()));
  }, 60_000);
});
