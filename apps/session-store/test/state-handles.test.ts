import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StateHandle } from '@airlock/contracts';
import { deriveServiceClientSecret, ServiceClients } from '@airlock/platform';
import { createSessionClient, SessionStoreClientError } from '@airlock/session-client';
import type { SessionClient } from '@airlock/session-client';
import { eventually, SESSION_STORE_URL, startHarness } from './support/harness.js';
import type { Harness } from './support/harness.js';

// The state-handles API (real Redis when REDIS_URL is set, real HTTP): create once, read, consume once,
// expire, bound to tenant and subject; and the gateway's client of it.

const newHandle = () => randomBytes(16).toString('base64url');

function record(overrides: Partial<StateHandle> = {}): StateHandle {
  const now = Date.now();
  return {
    handle: newHandle(),
    tenant: 'acme',
    subject: 'alice',
    clientId: 'claude',
    server: 'github',
    upstreamRequestId: 0,
    request: { method: 'tools/call', name: 'deploy', digest: 'd1' },
    pending: [{ key: 'elicitation-1', upstreamRequestId: 1, method: 'elicitation/create', params: { message: 'Sure?' } }],
    owner: 'replica-a',
    round: 1,
    createdAt: new Date(now).toISOString(),
    expiresAt: new Date(now + 60_000).toISOString(),
    ...overrides,
  };
}

const path = (tenant: string, subject: string, handle: string) => `/v1/t/${tenant}/state-handles/${encodeURIComponent(`${subject}:${handle}`)}`;

describe('state handles API', () => {
  let h: Harness;
  let write: string;
  let read: string;
  let globexWrite: string;

  beforeAll(async () => {
    h = await startHarness();
    write = await h.token('acme', 'sessions:write');
    read = await h.token('acme', 'sessions:read');
    globexWrite = await h.token('globex', 'sessions:write');
  });
  afterAll(async () => {
    await h?.close();
  });

  const create = (body: unknown, tenant = 'acme', token = write) => h.api('POST', `/v1/t/${tenant}/state-handles`, { token, body });

  it('creates, reads and consumes a handle exactly once', async () => {
    const handle = record();
    const created = await create(handle);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.json<StateHandle>()).toEqual(handle);

    const got = await h.api('GET', path('acme', 'alice', handle.handle), { token: read });
    expect(got.status).toBe(200);
    expect(got.json<StateHandle>()).toEqual(handle);

    const consumed = await h.api('DELETE', path('acme', 'alice', handle.handle), { token: write });
    expect(consumed.status).toBe(200);
    expect(consumed.json<StateHandle>()).toEqual(handle);
    expect((await h.api('DELETE', path('acme', 'alice', handle.handle), { token: write })).status).toBe(404);
    expect((await h.api('GET', path('acme', 'alice', handle.handle), { token: read })).status).toBe(404);
  });

  it('refuses to overwrite a handle (409) and keeps the first record', async () => {
    const handle = record();
    expect((await create(handle)).status).toBe(201);
    const again = await create({ ...handle, owner: 'replica-b' });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: 'conflict' });
    expect((await h.api('GET', path('acme', 'alice', handle.handle), { token: read })).json<StateHandle>().owner).toBe('replica-a');
  });

  it('of concurrent consumers exactly one gets the record', async () => {
    const handle = record();
    expect((await create(handle)).status).toBe(201);
    const answers = await Promise.all(Array.from({ length: 8 }, () => h.api('DELETE', path('acme', 'alice', handle.handle), { token: write })));
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 404, 404, 404, 404, 404, 404, 404]);
  });

  it('expires at expiresAt', async () => {
    const handle = record({ expiresAt: new Date(Date.now() + 1_000).toISOString() });
    expect((await create(handle)).status).toBe(201);
    expect((await h.api('GET', path('acme', 'alice', handle.handle), { token: read })).status).toBe(200);
    await eventually(async () => expect((await h.api('GET', path('acme', 'alice', handle.handle), { token: read })).status).toBe(404), 10_000, 200);
    expect((await h.api('DELETE', path('acme', 'alice', handle.handle), { token: write })).status).toBe(404);
  });

  it('is bound to its subject: another subject finds nothing, and the same handle id is a separate key', async () => {
    const handle = record();
    expect((await create(handle)).status).toBe(201);
    expect((await h.api('GET', path('acme', 'mallory', handle.handle), { token: read })).status).toBe(404);
    expect((await h.api('DELETE', path('acme', 'mallory', handle.handle), { token: write })).status).toBe(404);
    expect((await create({ ...handle, subject: 'mallory' })).status).toBe(201);
    expect((await h.api('GET', path('acme', 'alice', handle.handle), { token: read })).json<StateHandle>().subject).toBe('alice');
  });

  it('is bound to its tenant: another tenant token gets 404, and another tenant path finds nothing', async () => {
    const handle = record();
    expect((await create(handle)).status).toBe(201);
    expect((await h.api('GET', path('acme', 'alice', handle.handle), { token: globexWrite })).status).toBe(404);
    expect((await h.api('DELETE', path('acme', 'alice', handle.handle), { token: globexWrite })).status).toBe(404);
    expect((await h.api('GET', path('globex', 'alice', handle.handle), { token: globexWrite })).status).toBe(404);
    expect((await create(handle, 'acme', globexWrite)).status).toBe(404);
    expect((await h.api('GET', path('acme', 'alice', handle.handle), { token: read })).status).toBe(200);
  });

  it('bad input: 400 naming the field, and nothing is stored', async () => {
    const cases: Array<[unknown, string]> = [
      [{ ...record(), handle: 'short' }, 'handle'],
      [{ ...record(), tenant: 'globex' }, 'tenant'],
      [{ ...record(), pending: [] }, 'pending'],
      [{ ...record(), pending: [{ key: 'k', upstreamRequestId: 1, method: 'tools/call', params: {} }] }, 'pending.0.method'],
      [{ ...record(), round: 0 }, 'round'],
      [{ ...record(), expiresAt: 'tomorrow' }, 'expiresAt'],
      [{ ...record(), expiresAt: new Date(Date.now() - 1_000).toISOString() }, 'expiresAt'],
      [{ ...record(), expiresAt: new Date(Date.now() + 2 * 3600_000).toISOString() }, 'expiresAt'],
      ['not an object', ''],
    ];
    for (const [body, field] of cases) {
      const answer = await create(body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body).toMatchObject({ error: 'invalid_request', error_description: expect.stringContaining(field) });
      const handle = (body as { handle?: string }).handle;
      if (typeof handle === 'string' && handle.length >= 22) expect((await h.api('GET', path('acme', 'alice', handle), { token: read })).status).toBe(404);
    }
    // A key that cannot name a handle: 404, like an unknown one.
    expect((await h.api('GET', `/v1/t/acme/state-handles/${encodeURIComponent('no-colon')}`, { token: read })).status).toBe(404);
    expect((await h.api('GET', path('acme', 'alice', 'bad!handle'), { token: read })).status).toBe(404);
  });

  it('authenticates like the sessions API: 401 without a token, 403 without the scope', async () => {
    const handle = record();
    const missing = await create(handle, 'acme', '');
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const readOnly = await create(handle, 'acme', read);
    expect(readOnly.status).toBe(403);
    expect((await h.api('DELETE', path('acme', 'alice', handle.handle), { token: read })).status).toBe(403);
  });

  describe('through the gateway session client', () => {
    const masterKey = randomBytes(32);
    let client: SessionClient;

    beforeAll(async () => {
      h.issuer.registerClient('acme', { clientId: ServiceClients.gateway, secret: deriveServiceClientSecret(masterKey, ServiceClients.gateway, 'acme'), scopes: ['sessions:read', 'sessions:write'] });
      client = createSessionClient({
        sessionStoreUrl: SESSION_STORE_URL,
        tokenBaseUrl: h.issuer.baseUrl,
        masterKey,
        hot: h.backends.hot(),
        fetch: (input, init) => fetch(String(input).replace(SESSION_STORE_URL, h.store.url), init),
      });
    });
    afterAll(async () => {
      await client?.close();
    });

    it('puts, reads (hot store) and consumes once; duplicates are a conflict; other subjects read null', async () => {
      const handle = record();
      await client.stateHandles.put(handle);
      await expect(client.stateHandles.put(handle)).rejects.toMatchObject({ code: 'conflict', status: 409 });
      await expect(client.stateHandles.put({ ...handle, handle: newHandle(), expiresAt: 'x' })).rejects.toBeInstanceOf(SessionStoreClientError);
      expect(await client.stateHandles.get('acme', 'alice', handle.handle)).toEqual(handle);
      expect(await client.stateHandles.get('acme', 'mallory', handle.handle)).toBeNull();
      expect(await client.stateHandles.get('globex', 'alice', handle.handle)).toBeNull();
      const [first, second] = await Promise.all([client.stateHandles.consume('acme', 'alice', handle.handle), client.stateHandles.consume('acme', 'alice', handle.handle)]);
      expect([first, second].filter((value) => value !== null)).toEqual([handle]);
      expect(await client.stateHandles.get('acme', 'alice', handle.handle)).toBeNull();
    });
  });
});
