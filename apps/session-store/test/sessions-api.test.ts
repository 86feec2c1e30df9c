import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queues, revokedGrantKey, SESSION_EVENTS_CHANNEL } from '@airlock/contracts';
import type { GrantRevokedEvent, Session, SessionEndedEvent } from '@airlock/contracts';
import { SessionJobs } from '../src/index.js';
import { eventually, startHarness } from './support/harness.js';
import type { Harness } from './support/harness.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('session store API (real Redis/Postgres when configured, embedded otherwise)', () => {
  let h: Harness;
  let write: string;
  let read: string;
  let admin: string;
  let globexAdmin: string;
  const events: SessionEndedEvent[] = [];

  const create = async (body: Record<string, unknown> = {}, tenant = 'acme', token = write) => {
    const response = await h.api('POST', `/v1/t/${tenant}/sessions`, { token, body: { subject: 'alice', clientId: 'claude', ...body } });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return response.json<Session>();
  };
  const durableRow = async (id: string) =>
    (await h.db.pg.query<{ state: string; ended_reason: string | null; last_seen_at: Date; upstreams: unknown }>('SELECT state, ended_reason, last_seen_at, upstreams FROM sessions WHERE id = $1', [id])).rows[0];

  beforeAll(async () => {
    h = await startHarness();
    write = await h.token('acme', 'sessions:write');
    read = await h.token('acme', 'sessions:read');
    admin = await h.token('acme', 'sessions:admin');
    globexAdmin = await h.token('globex', 'sessions:admin');
    const listener = h.backends.hot();
    await listener.subscribe(SESSION_EVENTS_CHANNEL, (message) => events.push(JSON.parse(message) as SessionEndedEvent));
  });

  afterAll(async () => {
    await h?.close();
  });

  it('creates, reads, touches, updates, lists and revokes a session, with durable history, an event and an audit record', async () => {
    const session = await create({ grantId: 'grant-1', protocolVersion: '2025-11-25', clientInfo: { name: 'claude', version: '1' }, capabilities: { sampling: {} } });
    expect(session.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session).toMatchObject({ tenant: 'acme', kind: 'mcp', subject: 'alice', clientId: 'claude', grantId: 'grant-1', state: 'active', upstreams: [] });

    const got = await h.api('GET', `/v1/t/acme/sessions/${session.id}`, { token: read });
    expect(got.status).toBe(200);
    expect(got.json<Session>()).toEqual(session);

    await sleep(20);
    expect((await h.api('POST', `/v1/t/acme/sessions/${session.id}/touch`, { token: write })).status).toBe(204);
    await h.store.touches.flush();
    const touched = (await h.api('GET', `/v1/t/acme/sessions/${session.id}`, { token: read })).json<Session>();
    expect(touched.lastSeenAt > session.lastSeenAt).toBe(true);

    const patched = await h.api('PATCH', `/v1/t/acme/sessions/${session.id}`, { token: write, body: { upstreams: [{ server: 'github', upstreamSessionId: 'up-1' }] } });
    expect(patched.status).toBe(200);
    expect(patched.json<Session>().upstreams).toEqual([{ server: 'github', upstreamSessionId: 'up-1' }]);

    await h.settle();
    const row = await durableRow(session.id);
    expect(row).toMatchObject({ state: 'active', upstreams: [{ server: 'github', upstreamSessionId: 'up-1' }] });
    expect(row?.last_seen_at.toISOString()).toBe(touched.lastSeenAt);

    const listed = await h.api('GET', `/v1/t/acme/sessions?grantId=grant-1`, { token: read });
    expect(listed.status).toBe(200);
    expect(listed.json<{ items: Session[] }>().items.map((s) => s.id)).toEqual([session.id]);

    expect((await h.api('DELETE', `/v1/t/acme/sessions/${session.id}`, { token: write, body: { reason: 'user_logout' } })).status).toBe(204);
    expect((await h.api('GET', `/v1/t/acme/sessions/${session.id}`, { token: read })).status).toBe(404);
    expect((await h.api('DELETE', `/v1/t/acme/sessions/${session.id}`, { token: write })).status).toBe(404);
    await eventually(() => expect(events).toContainEqual(expect.objectContaining({ type: 'session.revoked', tenant: 'acme', sessionId: session.id, reason: 'user_logout' })));

    await h.settle();
    expect(await durableRow(session.id)).toMatchObject({ state: 'revoked', ended_reason: 'user_logout' });
    const audit = await h.db.pg.query('SELECT action, actor_client_id, target FROM audit_events WHERE id = $1', [`session.revoked.${session.id}`]);
    expect(audit.rows).toEqual([{ action: 'session.revoke', actor_client_id: 'airlock-gateway', target: `session:${session.id}` }]);
    const history = await h.api('GET', `/v1/t/acme/sessions?grantId=grant-1&state=revoked`, { token: read });
    expect(history.json<{ items: Session[] }>().items).toEqual([expect.objectContaining({ id: session.id, state: 'revoked', endedReason: 'user_logout' })]);
  });

  it('registers and lists login sessions of the auth server through the same API', async () => {
    const login = await create({ kind: 'login', subject: 'bob', clientId: 'airlock-auth-server' }, 'acme', admin);
    expect(login).toMatchObject({ kind: 'login', subject: 'bob' });
    const mcp = await create({ subject: 'bob' });
    await h.settle();
    const mine = (await h.api('GET', '/v1/t/acme/sessions?subject=bob', { token: read })).json<{ items: Session[] }>().items;
    expect(mine.map((s) => [s.kind, s.id]).sort()).toEqual([['login', login.id], ['mcp', mcp.id]].sort());
    // "End all my sessions" ends both kinds.
    const ended = await h.api('POST', '/v1/t/acme/sessions/revoke', { token: admin, body: { subject: 'bob', reason: 'end_all' } });
    expect(ended.json()).toEqual({ revoked: 2 });
  });

  it('paginates lists with an opaque cursor', async () => {
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await create({ subject: 'paged' })).id);
    await h.settle();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `/v1/t/acme/sessions?subject=paged&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await h.api('GET', query, { token: read })).json<{ items: Session[]; nextCursor: string | null }>();
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((s) => s.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.sort()).toEqual(ids.sort());
    expect((await h.api('GET', '/v1/t/acme/sessions?cursor=garbage', { token: read })).status).toBe(400);
  });

  it('validates every input and answers spec-shaped errors', async () => {
    const missing = await h.api('POST', '/v1/t/acme/sessions', { token: write, body: { clientId: 'x' } });
    expect(missing.status).toBe(400);
    expect(missing.json()).toMatchObject({ error: 'invalid_request', error_description: expect.stringContaining('subject') });
    expect((await h.api('POST', '/v1/t/acme/sessions', { token: write, body: { subject: 'a', clientId: 'b', idleTimeoutSeconds: -1 } })).status).toBe(400);
    expect((await h.api('GET', '/v1/t/acme/sessions?bogus=1', { token: read })).status).toBe(400);
    expect((await h.api('POST', '/v1/t/acme/sessions/revoke', { token: admin, body: { subject: 'a', clientId: 'b' } })).status).toBe(400);
    expect((await h.api('PATCH', '/v1/t/acme/sessions/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', { token: write, body: { state: 'active' } })).status).toBe(400);
    expect((await h.api('GET', '/v1/t/acme/sessions/short', { token: read })).status).toBe(404);
    expect((await h.api('GET', '/v1/t/Not_A_Slug/sessions', { token: read })).status).toBe(404);
  });

  it('authenticates callers: token required, right audience, right scope, never in the query string', async () => {
    const none = await h.api('GET', '/v1/t/acme/sessions');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    const otherAudience = await h.token('acme', 'sessions:admin', { audience: 'https://mcp.example/t/acme/mcp' });
    const wrongAud = await h.api('GET', '/v1/t/acme/sessions', { token: otherAudience });
    expect(wrongAud.status).toBe(401);
    expect(wrongAud.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    const readOnly = await h.api('POST', '/v1/t/acme/sessions', { token: read, body: { subject: 'a', clientId: 'b' } });
    expect(readOnly.status).toBe(403);
    expect(readOnly.headers.get('www-authenticate')).toContain('scope="sessions:write"');
    expect((await h.api('POST', '/v1/t/acme/sessions/revoke', { token: write, body: { subject: 'alice' } })).status).toBe(403);
    expect((await h.api('GET', `/v1/t/acme/sessions?access_token=${read}`)).status).toBe(400);
  });

  it('isolates tenants: another tenant\'s token gets 404, and ids do not cross tenants', async () => {
    const session = await create();
    expect((await h.api('GET', `/v1/t/acme/sessions/${session.id}`, { token: globexAdmin })).status).toBe(404);
    expect((await h.api('DELETE', `/v1/t/acme/sessions/${session.id}`, { token: globexAdmin })).status).toBe(404);
    expect((await h.api('GET', '/v1/t/acme/sessions', { token: globexAdmin })).status).toBe(404);
    expect((await h.api('GET', `/v1/t/globex/sessions/${session.id}`, { token: globexAdmin })).status).toBe(404);
    expect((await h.api('POST', '/v1/t/globex/sessions/revoke', { token: globexAdmin, body: { subject: 'alice' } })).json()).toEqual({ revoked: 0 });
    expect((await h.api('GET', `/v1/t/acme/sessions/${session.id}`, { token: read })).status).toBe(200);
  });

  it('expires a session at the end of its lifetime, and the sweep records and announces it once', async () => {
    const session = await create({ lifetimeSeconds: 1 });
    expect((await h.api('GET', `/v1/t/acme/sessions/${session.id}`, { token: read })).status).toBe(200);
    await h.settle();
    await eventually(async () => expect((await h.api('GET', `/v1/t/acme/sessions/${session.id}`, { token: read })).status).toBe(404), 5_000, 100);
    await h.queues.enqueue(Queues.sessions, SessionJobs.expirySweep, {}, { jobId: 'sweep-lifetime' });
    await h.settle();
    expect(await durableRow(session.id)).toMatchObject({ state: 'expired', ended_reason: 'lifetime_exceeded' });
    await eventually(() => expect(events.filter((e) => e.sessionId === session.id)).toEqual([expect.objectContaining({ type: 'session.expired', reason: 'lifetime_exceeded' })]));
    await h.queues.enqueue(Queues.sessions, SessionJobs.expirySweep, {}, { jobId: 'sweep-lifetime-again' });
    await h.settle();
    await sleep(100);
    expect(events.filter((e) => e.sessionId === session.id)).toHaveLength(1);
  });

  it('keeps a touched session past its idle timeout and expires it once it is left idle', async () => {
    const session = await create({ idleTimeoutSeconds: 1, lifetimeSeconds: 600 });
    await h.settle();
    for (let i = 0; i < 4; i++) {
      await sleep(400);
      expect((await h.api('POST', `/v1/t/acme/sessions/${session.id}/touch`, { token: write })).status).toBe(204);
      await h.store.touches.flush();
    }
    // 1.6 s after creation, past its 1 s idle timeout: alive because it was touched. The sweep agrees.
    expect((await h.api('GET', `/v1/t/acme/sessions/${session.id}`, { token: read })).status).toBe(200);
    await h.queues.enqueue(Queues.sessions, SessionJobs.expirySweep, {}, { jobId: 'sweep-idle-alive' });
    await h.settle();
    expect(await durableRow(session.id)).toMatchObject({ state: 'active' });

    await eventually(async () => expect((await h.api('GET', `/v1/t/acme/sessions/${session.id}`, { token: read })).status).toBe(404), 5_000, 100);
    expect((await h.api('POST', `/v1/t/acme/sessions/${session.id}/touch`, { token: write })).status).toBe(404);
    await sleep(1_100);
    await h.queues.enqueue(Queues.sessions, SessionJobs.expirySweep, {}, { jobId: 'sweep-idle' });
    await h.settle();
    expect(await durableRow(session.id)).toMatchObject({ state: 'expired', ended_reason: 'idle_timeout' });
  });

  it('batches touches: many touches of one session cost one write, and touches never reach Postgres directly', async () => {
    const a = await create();
    const b = await create();
    await h.settle();
    const batch = await h.api('POST', '/v1/t/acme/sessions/touch', { token: write, body: { ids: [a.id, b.id, 'A'.repeat(43)] } });
    expect(batch.status).toBe(200);
    expect(batch.json<{ live: string[] }>().live.sort()).toEqual([a.id, b.id].sort());
    expect((await h.api('POST', '/v1/t/acme/sessions/touch', { token: write, body: { ids: [] } })).status).toBe(400);
  });

  it.each([
    ['subject', { subject: 'carol' }, (s: Session) => s.subject === 'carol'],
    ['client', { clientId: 'cursor' }, (s: Session) => s.clientId === 'cursor'],
    ['grant', { grantId: 'grant-x' }, (s: Session) => s.grantId === 'grant-x'],
  ] as const)('revokes every session of a %s and nothing else', async (_kind, body, matches) => {
    const sessions = [
      await create({ subject: 'carol', clientId: 'claude', grantId: 'grant-x' }),
      await create({ subject: 'carol', clientId: 'cursor', grantId: 'grant-y' }),
      await create({ subject: 'dave', clientId: 'cursor', grantId: 'grant-z' }),
      await create({ subject: 'dave', clientId: 'claude', grantId: 'grant-x' }),
      await create({ subject: 'carol', clientId: 'cursor', grantId: 'grant-x' }, 'globex', await h.token('globex', 'sessions:write')),
    ];
    const acme = sessions.filter((s) => s.tenant === 'acme');
    const response = await h.api('POST', '/v1/t/acme/sessions/revoke', { token: admin, body: { ...body, reason: 'admin_action' } });
    expect(response.status).toBe(200);
    expect(response.json()).toEqual({ revoked: acme.filter(matches).length });
    for (const session of acme) {
      const status = (await h.api('GET', `/v1/t/acme/sessions/${session.id}`, { token: read })).status;
      expect(status).toBe(matches(session) ? 404 : 200);
    }
    const globex = sessions[4];
    expect((await h.api('GET', `/v1/t/globex/sessions/${globex?.id}`, { token: globexAdmin })).status).toBe(200);
    await h.settle();
    for (const session of acme) expect((await durableRow(session.id))?.state).toBe(matches(session) ? 'revoked' : 'active');
    await h.api('POST', '/v1/t/acme/sessions/revoke', { token: admin, body: { subject: 'carol' } });
    await h.api('POST', '/v1/t/acme/sessions/revoke', { token: admin, body: { subject: 'dave' } });
  });

  it('ends a revoked grant\'s sessions from the auth server\'s queued grant.revoked job, idempotently', async () => {
    const mine = [await create({ grantId: 'grant-revoked' }), await create({ grantId: 'grant-revoked', clientId: 'other' })];
    const other = await create({ grantId: 'grant-kept' });
    await h.settle();
    const event: GrantRevokedEvent = { tenant: 'acme', grantId: 'grant-revoked', reason: 'user_revoked', notAfter: Math.floor(Date.now() / 1000) + 600 };
    // The auth server enqueues with a job id per revocation; run it twice to show one effect.
    await h.queues.enqueue(Queues.sessions, SessionJobs.grantRevoked, event, { jobId: 'grant-revoked-1' });
    await h.settle();
    await h.queues.enqueue(Queues.sessions, SessionJobs.grantRevoked, event, { jobId: 'grant-revoked-1' });
    await h.settle();
    for (const session of mine) {
      expect((await h.api('GET', `/v1/t/acme/sessions/${session.id}`, { token: read })).status).toBe(404);
      expect(await durableRow(session.id)).toMatchObject({ state: 'revoked', ended_reason: 'grant_revoked:user_revoked' });
      expect(events.filter((e) => e.sessionId === session.id)).toHaveLength(1);
      const audits = await h.db.pg.query('SELECT count(*)::int AS n FROM audit_events WHERE target = $1', [`session:${session.id}`]);
      expect(audits.rows[0]).toEqual({ n: 1 });
    }
    expect((await h.api('GET', `/v1/t/acme/sessions/${other.id}`, { token: read })).status).toBe(200);
  });

  it('refuses to open a session on a grant the auth server has marked revoked', async () => {
    await h.hot.set(revokedGrantKey('acme', 'grant-dead'), 'user_revoked', { ttlMs: 60_000 });
    const refused = await h.api('POST', '/v1/t/acme/sessions', { token: write, body: { subject: 'alice', clientId: 'claude', grantId: 'grant-dead' } });
    expect(refused.status).toBe(400);
    expect(refused.json()).toEqual({ error: 'invalid_request', error_description: 'the grant of this session has been revoked' });
    await create({ grantId: 'grant-alive' });
  });

  it('applies a durable snapshot job run twice, or out of order, with one effect', async () => {
    const session = await create();
    await h.settle();
    const snapshot = { session: { ...session, state: 'revoked' as const, endedReason: 'x', endedAt: new Date().toISOString() }, version: 2 };
    await h.store.worker.handle({ id: 'a', name: SessionJobs.upsert, data: snapshot, attempt: 1 });
    await h.store.worker.handle({ id: 'a', name: SessionJobs.upsert, data: snapshot, attempt: 2 });
    // The create snapshot arriving late never reopens the session.
    await h.store.worker.handle({ id: 'b', name: SessionJobs.upsert, data: { session, version: 1 }, attempt: 1 });
    expect(await durableRow(session.id)).toMatchObject({ state: 'revoked', ended_reason: 'x' });
    const count = await h.db.pg.query('SELECT count(*)::int AS n FROM sessions WHERE id = $1', [session.id]);
    expect(count.rows[0]).toEqual({ n: 1 });
  });

  it('drops the jobs of a deleted tenant instead of retrying them forever', async () => {
    const session = { ...(await create()), tenant: 'deleted-tenant' };
    await expect(h.store.worker.handle({ id: 'e', name: SessionJobs.upsert, data: { session, version: 1 }, attempt: 1 })).resolves.toBeUndefined();
    const event = { tenant: 'deleted-tenant', grantId: 'g', reason: 'tenant_deleted', notAfter: Math.floor(Date.now() / 1000) + 60 };
    await expect(h.store.worker.handle({ id: 'f', name: SessionJobs.grantRevoked, data: event, attempt: 1 })).resolves.toBeUndefined();
  });

  it('keeps the newest snapshot of a live session when snapshot jobs run out of order', async () => {
    const session = await create();
    await h.settle();
    const bound = { ...session, upstreams: [{ server: 'github', upstreamSessionId: 'up-9' }] };
    await h.store.worker.handle({ id: 'c', name: SessionJobs.upsert, data: { session: bound, version: 3 }, attempt: 1 });
    // An older snapshot (the create job retried late) must not undo the bindings.
    await h.store.worker.handle({ id: 'd', name: SessionJobs.upsert, data: { session, version: 1 }, attempt: 2 });
    expect(await durableRow(session.id)).toMatchObject({ state: 'active', upstreams: [{ server: 'github', upstreamSessionId: 'up-9' }] });
  });

  it('reports ready when Redis and Postgres answer', async () => {
    const response = await fetch(`${h.store.url}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' } });
  });
});
