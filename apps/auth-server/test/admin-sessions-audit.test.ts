import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queues, type AuditEvent, type Session } from '@airlock/contracts';
import { serializeHotSession, sessionRecordKey } from '@airlock/session-client';
import { postForm, startAuthServerHarness, type AuthServerHarness } from './support/auth-server-harness.js';
import { startSessionStoreStandIn, type SessionStoreStandIn } from './support/session-store-stand-in.js';

// The admin API's view of MCP sessions. Sessions are seeded as the session store keeps them: a durable row
// in `sessions`, a live record in the hot store, and the store's own copy (the stand-in answers its API).

type Json = Record<string, unknown> & { items?: Array<Record<string, unknown>>; nextCursor?: string | null };

const ADMIN = { id: 'test-admin', secret: 'test-admin-secret-0123456789abcdef' };
const suffix = randomBytes(4).toString('hex');
const tenantA = `ses-a-${suffix}`;
const tenantB = `ses-b-${suffix}`;

let h: AuthServerHarness;
let store: SessionStoreStandIn;
let token: string;
const audit: AuditEvent[] = [];
let clock = Date.parse('2026-01-01T00:00:00.000Z');

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${h.url}/admin/v1${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : {}) as Json };
}

/** A live MCP session, written where the session store writes one; `live: false` leaves only a durable row that says active. */
async function seed(tenant: string, clientId: string, subject: string, options: { live?: boolean; servers?: string[]; lastSeenAt?: string } = {}): Promise<string> {
  const id = randomBytes(24).toString('base64url');
  const createdAt = new Date((clock += 1000)).toISOString();
  const lastSeenAt = options.lastSeenAt ?? createdAt;
  const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
  const session: Session = {
    id,
    tenant,
    kind: 'mcp',
    subject,
    clientId,
    protocolVersion: '2025-06-18',
    upstreams: (options.servers ?? ['wiki']).map((server) => ({ server })),
    createdAt,
    lastSeenAt,
    idleTimeoutSeconds: 1800,
    expiresAt,
    state: 'active',
  };
  const tenantId = (await h.tenant(tenant)).id;
  await h.infra.pg.query(
    `INSERT INTO sessions (id, tenant_id, kind, subject, client_id, protocol_version, upstreams, created_at, last_seen_at, idle_timeout_seconds, expires_at, state, version)
     VALUES ($1, $2, 'mcp', $3, $4, $5, $6, $7, $9, 1800, $8, 'active', 1)`,
    [id, tenantId, subject, clientId, session.protocolVersion, JSON.stringify(session.upstreams), createdAt, expiresAt, lastSeenAt],
  );
  if (options.live !== false) {
    await h.hot.set(sessionRecordKey(tenant, id), serializeHotSession({ session, version: 1 }), { ttlMs: 600_000 });
    store.sessions.set(id, { ...session, tenantSlug: tenant });
  }
  return id;
}

const ids = (page: { json: Json }) => (page.json.items ?? []).map((item) => item['id']);

async function audited(action: string): Promise<AuditEvent[]> {
  await h.queues.drain(Queues.audit);
  return audit.filter((event) => event.action === action);
}

let s1: string, s2: string, s3: string, s4: string, other: string;

beforeAll(async () => {
  store = await startSessionStoreStandIn();
  h = await startAuthServerHarness({ SESSION_STORE_URL: store.url });
  store.useIssuer(h.url, h.hot);
  h.queues.work<AuditEvent>(Queues.audit, async (job) => {
    audit.push(job.data);
  });
  const issued = await postForm(`${h.url}/t/admin/token`, { grant_type: 'client_credentials', scope: 'admin' }, ADMIN);
  token = String(issued.json['access_token']);
  for (const slug of [tenantA, tenantB]) expect((await api('POST', '/tenants', { slug, displayName: slug })).status).toBe(201);
  s1 = await seed(tenantA, 'client-1', 'user-1', { servers: ['wiki', 'docs'] });
  s2 = await seed(tenantA, 'client-1', 'user-2');
  await seed(tenantA, 'client-1', 'user-1', { live: false });
  s3 = await seed(tenantA, 'client-2', 'user-1');
  s4 = await seed(tenantA, 'client-3', 'user-3');
  other = await seed(tenantB, 'client-1', 'user-1');
});
afterAll(async () => {
  await h?.close();
  await store?.close();
});

describe('GET /admin/v1/tenants/{tenant}/sessions', () => {
  it("lists the tenant's live MCP sessions, oldest first, with subject, client, servers and times", async () => {
    const all = await api('GET', `/tenants/${tenantA}/sessions`);
    expect(all.status, JSON.stringify(all.json)).toBe(200);
    // The row whose live record is gone (ended, durable write still queued) is not live; tenant B's is not A's.
    expect(ids(all)).toEqual([s1, s2, s3, s4]);
    expect(all.json.items?.[0]).toMatchObject({ id: s1, subject: 'user-1', clientId: 'client-1', servers: ['wiki', 'docs'], protocolVersion: '2025-06-18', createdAt: '2026-01-01T00:00:01.000Z' });
    expect(all.json.nextCursor).toBeNull();
  });

  it('filters by client and by subject', async () => {
    expect(ids(await api('GET', `/tenants/${tenantA}/sessions?client=client-1`))).toEqual([s1, s2]);
    expect(ids(await api('GET', `/tenants/${tenantA}/sessions?subject=user-1`))).toEqual([s1, s3]);
    expect(ids(await api('GET', `/tenants/${tenantA}/sessions?subject=user-1&client=client-2`))).toEqual([s3]);
  });

  it('pages with a cursor that survives sessions starting meanwhile, and refuses a junk cursor with 400', async () => {
    const first = await api('GET', `/tenants/${tenantA}/sessions?limit=2`);
    expect(ids(first)).toEqual([s1, s2]);
    expect(first.json.nextCursor).toEqual(expect.any(String));
    const later = await seed(tenantA, 'client-9', 'user-9');
    const second = await api('GET', `/tenants/${tenantA}/sessions?limit=2&cursor=${first.json.nextCursor}`);
    // The row without a live record is skipped (a page may come back short); the cursor still moves on, and
    // the session that started meanwhile comes last, nothing repeated or lost.
    const rest: unknown[] = [...ids(second)];
    let cursor = second.json.nextCursor;
    while (cursor) {
      const next = await api('GET', `/tenants/${tenantA}/sessions?limit=2&cursor=${cursor}`);
      rest.push(...ids(next));
      cursor = next.json.nextCursor;
    }
    expect(rest).toEqual([s3, s4, later]);
    await api('DELETE', `/tenants/${tenantA}/sessions/${later}`);
    for (const junk of ['not-a-cursor!', Buffer.from('no space here').toString('base64url'), Buffer.from('yesterday x').toString('base64url')]) {
      const refused = await api('GET', `/tenants/${tenantA}/sessions?cursor=${encodeURIComponent(junk)}`);
      expect(refused.status, junk).toBe(400);
      expect(refused.json['error']).toBe('invalid_request');
    }
  });

  it('answers 404 for an unknown tenant', async () => {
    expect((await api('GET', `/tenants/nope-${suffix}/sessions`)).status).toBe(404);
  });
});

describe('ending sessions', () => {
  it('DELETE ends one session at the session store: gone from the list, 404 the second time, audit-logged', async () => {
    const ended = await api('DELETE', `/tenants/${tenantA}/sessions/${s1}`);
    expect(ended.status, JSON.stringify(ended.json)).toBe(204);
    expect(store.sessions.get(s1)?.state).toBe('revoked');
    expect(await h.hot.get(sessionRecordKey(tenantA, s1))).toBeNull();
    expect(ids(await api('GET', `/tenants/${tenantA}/sessions`))).not.toContain(s1);
    const again = await api('DELETE', `/tenants/${tenantA}/sessions/${s1}`);
    expect(again.status).toBe(404);
    expect(again.json['error']).toBe('not_found');
    expect((await api('DELETE', `/tenants/${tenantA}/sessions/short`)).status).toBe(404);
    const events = await audited('admin.session.revoke');
    expect(events.map((event) => event.target)).toContain(`session:${s1}`);
    expect(events.find((event) => event.target === `session:${s1}`)).toMatchObject({ tenant: tenantA, outcome: 'success', actor: { clientId: ADMIN.id } });
  });

  it("another tenant's session is not found, and stays live", async () => {
    const refused = await api('DELETE', `/tenants/${tenantA}/sessions/${other}`);
    expect(refused.status).toBe(404);
    expect(store.sessions.get(other)?.state).toBe('active');
    expect(ids(await api('GET', `/tenants/${tenantB}/sessions`))).toEqual([other]);
  });

  it('POST .../sessions/revoke ends every session of a client, or of a user, and says how many', async () => {
    const byClient = await api('POST', `/tenants/${tenantA}/sessions/revoke`, { client: 'client-2' });
    expect(byClient.status, JSON.stringify(byClient.json)).toBe(200);
    expect(byClient.json).toEqual({ revoked: 1 });
    expect(store.sessions.get(s3)?.state).toBe('revoked');
    const bySubject = await api('POST', `/tenants/${tenantA}/sessions/revoke`, { subject: 'user-2' });
    expect(bySubject.json).toEqual({ revoked: 1 });
    expect(ids(await api('GET', `/tenants/${tenantA}/sessions`))).toEqual([s4]);
    // Tenant B's session of the same client and user is untouched.
    expect(store.sessions.get(other)?.state).toBe('active');
    const events = await audited('admin.sessions.revoke');
    expect(events.map((event) => event.details)).toEqual(expect.arrayContaining([expect.objectContaining({ client: 'client-2', revoked: 1 }), expect.objectContaining({ subject: 'user-2', revoked: 1 })]));
  });

  it('answers 503 temporarily_unavailable while the session store is down, and the session stays live', async () => {
    store.down = true;
    try {
      for (const [method, path, body] of [['DELETE', `/tenants/${tenantA}/sessions/${s4}`, undefined], ['POST', `/tenants/${tenantA}/sessions/revoke`, { client: 'client-3' }]] as const) {
        const refused = await api(method, path, body);
        expect(refused.status, JSON.stringify(refused.json)).toBe(503);
        expect(refused.json['error']).toBe('temporarily_unavailable');
      }
    } finally {
      store.down = false;
    }
    expect(store.sessions.get(s4)?.state).toBe('active');
  });

  it('refuses a bulk revoke without a filter', async () => {
    const refused = await api('POST', `/tenants/${tenantA}/sessions/revoke`, {});
    expect(refused.status).toBe(400);
    expect(refused.json['error']).toBe('invalid_request');
    expect(store.sessions.get(s4)?.state).toBe('active');
  });
});

describe('sorting sessions and ending listed ones', () => {
  const tenantC = `ses-c-${suffix}`;
  let c1: string, c2: string, c3: string, c4: string;
  const list = async (query: string) => ids(await api('GET', `/tenants/${tenantC}/sessions${query}`));

  beforeAll(async () => {
    expect((await api('POST', '/tenants', { slug: tenantC, displayName: tenantC })).status).toBe(201);
    // Started c1 < c2 < c3 < c4; last active c2 < c4 < c1 < c3.
    c1 = await seed(tenantC, 'client-1', 'user-1', { lastSeenAt: '2026-03-01T00:00:03.000Z' });
    c2 = await seed(tenantC, 'client-1', 'user-2', { lastSeenAt: '2026-03-01T00:00:01.000Z' });
    c3 = await seed(tenantC, 'client-2', 'user-1', { lastSeenAt: '2026-03-01T00:00:04.000Z' });
    c4 = await seed(tenantC, 'client-2', 'user-3', { lastSeenAt: '2026-03-01T00:00:02.000Z' });
  });

  it('sorts by start or last activity, either way, on the server; pages keep the order; an unknown sort is 400', async () => {
    expect(await list('')).toEqual([c1, c2, c3, c4]);
    expect(await list('?sort=created')).toEqual([c1, c2, c3, c4]);
    expect(await list('?sort=-created')).toEqual([c4, c3, c2, c1]);
    expect(await list('?sort=last_seen')).toEqual([c2, c4, c1, c3]);
    expect(await list('?sort=-last_seen')).toEqual([c3, c1, c4, c2]);
    expect(await list('?sort=-last_seen&client=client-2')).toEqual([c3, c4]);
    for (const sort of ['-last_seen', '-created', 'last_seen']) {
      const seen: unknown[] = [];
      let cursor: string | null | undefined = '';
      do {
        const page = await api('GET', `/tenants/${tenantC}/sessions?sort=${sort}&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
        seen.push(...ids(page));
        cursor = page.json.nextCursor;
      } while (cursor);
      expect(seen, sort).toEqual(await list(`?sort=${sort}`));
    }
    const refused = await api('GET', `/tenants/${tenantC}/sessions?sort=name`);
    expect(refused.status).toBe(400);
    expect(refused.json['error']).toBe('invalid_request');
  });

  it('POST .../sessions/revoke with ids ends exactly those live in the tenant, reports the others, and audits the ids', async () => {
    const unknown = randomBytes(24).toString('base64url');
    const answer = await api('POST', `/tenants/${tenantC}/sessions/revoke`, { ids: [c1, c3, other, unknown, c1] });
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    expect(answer.json).toEqual({ revoked: 2, notLive: [other, unknown] });
    expect(store.sessions.get(c1)?.state).toBe('revoked');
    expect(store.sessions.get(c3)?.state).toBe('revoked');
    // Another tenant's session named in the list is left alone.
    expect(store.sessions.get(other)?.state).toBe('active');
    expect(await list('')).toEqual([c2, c4]);
    const events = await audited('admin.sessions.revoke');
    expect(events.find((event) => event.tenant === tenantC)).toMatchObject({
      outcome: 'success',
      target: 'sessions:5',
      details: expect.objectContaining({ ids: [c1, c3, other, unknown, c1], revoked: 2, revokedIds: [c1, c3], notLive: [other, unknown] }),
    });
    // Both kinds at once, an empty list or more than 200 ids: refused, nothing ended.
    for (const body of [{ ids: [c2], client: 'client-1' }, { ids: [] }, { ids: Array.from({ length: 201 }, () => randomBytes(24).toString('base64url')) }]) {
      const refused = await api('POST', `/tenants/${tenantC}/sessions/revoke`, body);
      expect(refused.status).toBe(400);
    }
    expect(store.sessions.get(c2)?.state).toBe('active');
  });
});

describe('GET /admin/v1/tenants/{tenant}/audit', () => {
  const auditTenant = `aud-${suffix}`;
  const otherTenant = `aud-b-${suffix}`;
  const rows = [
    { id: `r1-${suffix}`, at: '2026-02-01T00:00:00.000Z', subject: 'admin-cli', client: 'admin-cli', action: 'admin.client.create', target: 'client-1', outcome: 'success', details: {} },
    { id: `r2-${suffix}`, at: '2026-02-02T00:00:00.000Z', subject: null, client: 'airlock-auth', action: 'session.revoke', target: 'session:x', outcome: 'success', details: { subject: 'user-1', clientId: 'client-1' } },
    { id: `r3-${suffix}`, at: '2026-02-03T00:00:00.000Z', subject: 'user-1', client: 'client-1', action: 'tools.call', target: 'wiki/read', outcome: 'denied', details: { server: 'wiki', tool: 'read' } },
  ];
  const [r1, r2, r3] = rows.map((row) => row.id);
  const list = async (query: string) => ids(await api('GET', `/tenants/${auditTenant}/audit${query}`));

  beforeAll(async () => {
    for (const slug of [auditTenant, otherTenant]) expect((await api('POST', '/tenants', { slug, displayName: slug })).status).toBe(201);
    // Written as the session store's audit writer writes them.
    const insert = async (tenant: string, row: (typeof rows)[number]) =>
      h.infra.pg.query(
        `INSERT INTO audit_events (id, tenant_id, occurred_at, actor_subject, actor_client_id, action, target, outcome, request_id, details)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'req-1', $9)`,
        [row.id, (await h.tenant(tenant)).id, row.at, row.subject, row.client, row.action, row.target, row.outcome, JSON.stringify(row.details)],
      );
    for (const row of rows) await insert(auditTenant, row);
    await insert(otherTenant, { ...rows[0]!, id: `r4-${suffix}` });
  });

  it('lists records newest first, in the documented shape, only the tenant’s own', async () => {
    const all = await api('GET', `/tenants/${auditTenant}/audit`);
    expect(all.status, JSON.stringify(all.json)).toBe(200);
    expect(ids(all)).toEqual([r3, r2, r1]);
    expect(all.json.items?.[1]).toEqual({
      id: r2,
      occurredAt: '2026-02-02T00:00:00.000Z',
      actor: { clientId: 'airlock-auth' },
      action: 'session.revoke',
      target: 'session:x',
      outcome: 'success',
      requestId: 'req-1',
      details: { subject: 'user-1', clientId: 'client-1' },
    });
    expect(ids(await api('GET', `/tenants/${otherTenant}/audit`))).toEqual([`r4-${suffix}`]);
  });

  it('filters by time window, actor, subject, client, action and outcome', async () => {
    expect(await list('?from=2026-02-02T00:00:00Z')).toEqual([r3, r2]);
    expect(await list('?to=2026-02-02T00:00:00Z')).toEqual([r1]);
    expect(await list('?from=2026-02-01T12:00:00Z&to=2026-02-02T12:00:00Z')).toEqual([r2]);
    expect(await list('?actor=admin-cli')).toEqual([r1]);
    expect(await list('?subject=user-1')).toEqual([r3, r2]);
    expect(await list('?client=client-1')).toEqual([r3, r2]);
    expect(await list('?action=session.revoke')).toEqual([r2]);
    expect(await list('?outcome=denied')).toEqual([r3]);
    for (const bad of ['?outcome=maybe', '?from=yesterday', '?cursor=%%%', `?cursor=${Buffer.from('nonsense').toString('base64url')}`]) {
      const refused = await api('GET', `/tenants/${auditTenant}/audit${bad}`);
      expect(refused.status, bad).toBe(400);
      expect(refused.json['error']).toBe('invalid_request');
    }
  });

  it('pages newest first with a cursor', async () => {
    const seen: unknown[] = [];
    let cursor: string | null | undefined = '';
    do {
      const next = await api('GET', `/tenants/${auditTenant}/audit?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...ids(next));
      cursor = next.json.nextCursor;
    } while (cursor);
    expect(seen).toEqual([r3, r2, r1]);
  });

  it('exports JSON lines with ?format=jsonl or Accept: application/x-ndjson, filters applied', async () => {
    for (const [query, accept] of [['?format=jsonl&outcome=success', 'application/json'], ['?outcome=success', 'application/x-ndjson']] as const) {
      const response = await fetch(`${h.url}/admin/v1/tenants/${auditTenant}/audit${query}`, { headers: { authorization: `Bearer ${token}`, accept } });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('application/x-ndjson');
      const lines = (await response.text()).trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines.map((line) => line['id'])).toEqual([r2, r1]);
      expect(lines[0]).toMatchObject({ action: 'session.revoke', details: { subject: 'user-1' } });
    }
  });
});
