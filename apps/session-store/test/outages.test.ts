import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queues } from '@airlock/contracts';
import type { GrantRevokedEvent, Session } from '@airlock/contracts';
import { randomBytes } from 'node:crypto';
import { deriveServiceClientSecret, ServiceClients } from '@airlock/platform';
import { createSessionClient, SessionStoreClientError } from '@airlock/session-client';
import { SessionJobs } from '../src/index.js';
import { eventually, SESSION_STORE_URL, startHarness } from './support/harness.js';
import type { Harness } from './support/harness.js';
import { NEEDS_REDIS, startThrowawayRedis, testRedisUrl } from '@airlock/testing';
import type { ThrowawayRedis } from '@airlock/testing';

const readyz = async (h: Harness) => {
  const response = await fetch(`${h.store.url}/readyz`);
  return { status: response.status, body: (await response.json()) as { checks: Record<string, string> } };
};

// A redis-server of the test's own, stopped and started: only where Redis is installed (REDIS_URL set).
describe.skipIf(!testRedisUrl)(`Redis outage: new sessions fail closed with 503, service resumes by itself ${NEEDS_REDIS}`, () => {
  let redis: ThrowawayRedis;
  let h: Harness;

  beforeAll(async () => {
    redis = await startThrowawayRedis();
    h = await startHarness({ redisUrl: redis.url });
  });

  afterAll(async () => {
    await redis?.start().catch(() => undefined);
    await h?.close();
    await redis?.stop();
  });

  it('refuses to create or read sessions while Redis is down, reports not ready, and recovers', async () => {
    const write = await h.token('acme', 'sessions:write');
    const create = () => h.api('POST', '/v1/t/acme/sessions', { token: write, body: { subject: 'alice', clientId: 'claude' } });
    const before = await create();
    expect(before.status).toBe(201);
    const id = before.json<Session>().id;
    // A gateway replica with the session cached.
    const masterKey = randomBytes(32);
    h.issuer.registerClient('acme', { clientId: ServiceClients.gateway, secret: deriveServiceClientSecret(masterKey, ServiceClients.gateway, 'acme'), scopes: ['sessions:read', 'sessions:write'] });
    const gateway = createSessionClient({
      sessionStoreUrl: SESSION_STORE_URL,
      tokenBaseUrl: h.issuer.baseUrl,
      masterKey,
      hot: h.backends.hot(),
      fetch: (input, init) => fetch(String(input).replace(SESSION_STORE_URL, h.store.url), init),
    });
    await gateway.start();
    expect(await gateway.get('acme', id)).toMatchObject({ id });

    await redis.stop();
    // The replica stops trusting its cache (revocations may be missed) and fails closed.
    await eventually(async () => {
      const error = await gateway.get('acme', id).then(() => undefined, (caught: unknown) => caught);
      expect(error).toBeInstanceOf(SessionStoreClientError);
      expect((error as SessionStoreClientError).code).toBe('temporarily_unavailable');
    }, 5_000, 100);
    const refused = await create();
    expect(refused.status).toBe(503);
    expect(refused.json()).toEqual({ error: 'temporarily_unavailable', error_description: 'sessions cannot be created right now' });
    expect((await h.api('GET', `/v1/t/acme/sessions/${id}`, { token: write })).status).toBe(503);
    const notReady = await readyz(h);
    expect(notReady.status).toBe(503);
    expect(notReady.body.checks.redis).not.toBe('ok');
    expect(notReady.body.checks.postgres).toBe('ok');

    await redis.start();
    await eventually(async () => expect((await create()).status).toBe(201), 15_000, 200);
    await eventually(async () => expect((await readyz(h)).status).toBe(200), 15_000, 200);
    const after = (await create()).json<Session>();
    await eventually(async () => expect(await gateway.get('acme', after.id)).toMatchObject({ id: after.id }), 5_000, 100);
    await gateway.close();
  });
});

describe('Postgres outage: the hot path carries on, durable writes are retried until they land', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ proxyPostgres: true });
  });

  afterAll(async () => {
    await h?.pgProxy?.start().catch(() => undefined);
    await h?.close();
  });

  it('creates, reads, touches and revokes with Postgres unreachable; a job interrupted mid-way completes once it is back', async () => {
    const write = await h.token('acme', 'sessions:write');
    const create = async (body: Record<string, unknown> = {}) => {
      const response = await h.api('POST', '/v1/t/acme/sessions', { token: write, body: { subject: 'alice', clientId: 'claude', ...body } });
      expect(response.status).toBe(201);
      return response.json<Session>();
    };
    const early = await create();
    const granted = await create({ grantId: 'grant-outage' });
    await h.settle();

    await h.pgProxy?.stop();
    const during = await create();
    expect((await h.api('GET', `/v1/t/acme/sessions/${during.id}`, { token: write })).status).toBe(200);
    expect((await h.api('POST', `/v1/t/acme/sessions/${during.id}/touch`, { token: write })).status).toBe(204);
    expect((await h.api('DELETE', `/v1/t/acme/sessions/${early.id}`, { token: write, body: { reason: 'during_outage' } })).status).toBe(204);
    // The grant job ends the live session at once, then fails on Postgres and is retried with backoff.
    const event: GrantRevokedEvent = { tenant: 'acme', grantId: 'grant-outage', reason: 'admin_revoked', notAfter: Math.floor(Date.now() / 1000) + 600 };
    await h.queues.enqueue(Queues.sessions, SessionJobs.grantRevoked, event, { jobId: 'grant-outage-1' });
    await eventually(async () => expect((await h.api('GET', `/v1/t/acme/sessions/${granted.id}`, { token: write })).status).toBe(404));
    const notReady = await readyz(h);
    expect(notReady.status).toBe(503);
    expect(notReady.body.checks.postgres).not.toBe('ok');
    expect(notReady.body.checks.redis).toBe('ok');
    await h.store.touches.flush();
    await eventually(() => expect(h.backends.failures.some((failure) => failure.name === SessionJobs.grantRevoked)).toBe(true));

    await h.pgProxy?.start();
    await h.settle();
    const rows = await h.db.pg.query<{ id: string; state: string; ended_reason: string | null }>('SELECT id, state, ended_reason FROM sessions WHERE id = ANY($1)', [
      [early.id, granted.id, during.id],
    ]);
    const byId = new Map(rows.rows.map((row) => [row.id, row]));
    expect(byId.get(during.id)).toMatchObject({ state: 'active' });
    expect(byId.get(early.id)).toMatchObject({ state: 'revoked', ended_reason: 'during_outage' });
    expect(byId.get(granted.id)).toMatchObject({ state: 'revoked', ended_reason: 'grant_revoked:admin_revoked' });
    // Audit jobs that failed during the outage land on a later retry (backoff doubles per attempt).
    await eventually(async () => {
      await h.settle();
      const audits = await h.db.pg.query('SELECT target FROM audit_events WHERE target = ANY($1) ORDER BY target', [[`session:${early.id}`, `session:${granted.id}`]]);
      expect(audits.rows).toHaveLength(2);
    }, 40_000, 250);
    await eventually(async () => expect((await readyz(h)).status).toBe(200), 15_000, 200);
  }, 90_000);
});
