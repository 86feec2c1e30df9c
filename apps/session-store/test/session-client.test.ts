import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '@airlock/contracts';
import { deriveServiceClientSecret, ServiceClients } from '@airlock/platform';
import type { HotStore } from '@airlock/redis';
import { withLossySubscriptions } from '@airlock/redis/testing';
import { createSessionClient } from '@airlock/session-client';
import type { SessionClient } from '@airlock/session-client';
import { eventually, SESSION_STORE_URL, startHarness } from './support/harness.js';
import type { Harness } from './support/harness.js';

describe('gateway-side session client', () => {
  let h: Harness;
  const masterKey = randomBytes(32);
  const clients: SessionClient[] = [];
  const requests: string[] = [];

  /** One "gateway replica": its own hot-store connection and cache. */
  async function replica(hot: HotStore = h.backends.hot()): Promise<SessionClient> {
    const client = createSessionClient({
      sessionStoreUrl: SESSION_STORE_URL,
      tokenBaseUrl: h.issuer.baseUrl,
      masterKey,
      hot,
      touchFlushMs: 50,
      // The store's public URL is a name for the audience; requests go to where the test runs it.
      fetch: (input, init) => {
        const url = String(input).replace(SESSION_STORE_URL, h.store.url);
        requests.push(`${init?.method ?? 'GET'} ${new URL(url).pathname}`);
        return fetch(url, init);
      },
    });
    await client.start();
    clients.push(client);
    return client;
  }

  beforeAll(async () => {
    h = await startHarness();
    for (const tenant of ['acme', 'globex']) {
      h.issuer.registerClient(tenant, {
        clientId: ServiceClients.gateway,
        secret: deriveServiceClientSecret(masterKey, ServiceClients.gateway, tenant),
        scopes: ['sessions:read', 'sessions:write'],
      });
    }
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await h?.close();
  });

  it('creates through the API and reads from cache or the hot store, never over HTTP; one token per tenant', async () => {
    const a = await replica();
    const b = await replica();
    const session = await a.create('acme', { subject: 'alice', clientId: 'claude', grantId: 'g-client' });
    requests.length = 0;
    for (let i = 0; i < 50; i++) {
      expect(await a.get('acme', session.id)).toEqual(session);
      expect(await b.get('acme', session.id)).toEqual(session);
    }
    expect(requests.filter((r) => r.includes('/v1/'))).toEqual([]);
    expect(await a.get('acme', 'A'.repeat(43))).toBeNull();
    expect(await b.get('globex', session.id)).toBeNull();
    await a.create('acme', { subject: 'alice', clientId: 'claude' });
    expect(h.issuer.tokenRequests('acme')).toBe(1);
  });

  it('a revocation through the API is seen by two gateway replicas within a second', async () => {
    const a = await replica();
    const b = await replica();
    const session = await a.create('acme', { subject: 'erin', clientId: 'claude' });
    expect(await a.get('acme', session.id)).not.toBeNull();
    expect(await b.get('acme', session.id)).not.toBeNull();

    const admin = await h.token('acme', 'sessions:admin');
    expect((await h.api('DELETE', `/v1/t/acme/sessions/${session.id}`, { token: admin })).status).toBe(204);
    await eventually(
      async () => {
        expect(await a.get('acme', session.id)).toBeNull();
        expect(await b.get('acme', session.id)).toBeNull();
      },
      1_000,
      10,
    );
  });

  it('revokes through the client and the other replica evicts at once', async () => {
    const a = await replica();
    const b = await replica();
    const session = await a.create('acme', { subject: 'frank', clientId: 'claude' });
    expect(await b.get('acme', session.id)).not.toBeNull();
    expect(await a.revoke('acme', session.id, 'client_delete')).toBe(true);
    expect(await a.get('acme', session.id)).toBeNull();
    await eventually(async () => expect(await b.get('acme', session.id)).toBeNull(), 1_000, 10);
    expect(await a.revoke('acme', session.id)).toBe(false);
  });

  it('batches touches into one request per tenant and period, and binds upstream sessions', async () => {
    const a = await replica();
    const first = await a.create('acme', { subject: 'gina', clientId: 'claude' });
    const second = await a.create('acme', { subject: 'gina', clientId: 'claude' });
    requests.length = 0;
    for (let i = 0; i < 20; i++) {
      a.touch('acme', first.id);
      a.touch('acme', second.id);
    }
    await a.flush();
    expect(requests).toEqual(['POST /v1/t/acme/sessions/touch']);
    await h.store.touches.flush();
    const fresh = await h.api('GET', `/v1/t/acme/sessions/${first.id}`, { token: await h.token('acme', 'sessions:read') });
    expect(fresh.json<Session>().lastSeenAt > first.lastSeenAt).toBe(true);

    const updated = await a.update('acme', first.id, { upstreams: [{ server: 'github', upstreamSessionId: 'up-9' }] });
    expect(updated?.upstreams).toEqual([{ server: 'github', upstreamSessionId: 'up-9' }]);
    expect((await a.get('acme', first.id))?.upstreams).toEqual([{ server: 'github', upstreamSessionId: 'up-9' }]);
  });

  it('drops its cache once resubscribed after a connection loss (evictions published in the gap are lost)', async () => {
    // A connection loss as the hot store reports it: messages published meanwhile never arrive, then
    // onResubscribed runs.
    const link = withLossySubscriptions(h.backends.hot());
    const a = await replica(link.store);
    const session = await a.create('acme', { subject: 'hana', clientId: 'claude' });
    expect(await a.get('acme', session.id)).not.toBeNull();

    link.cut = true;
    const admin = await h.token('acme', 'sessions:admin');
    expect((await h.api('DELETE', `/v1/t/acme/sessions/${session.id}`, { token: admin })).status).toBe(204);
    // The eviction was lost: the replica still serves its cached copy.
    await eventually(() => expect(link.dropped).toBe(1));
    expect(await a.get('acme', session.id)).not.toBeNull();

    link.cut = false;
    link.resubscribed();
    expect(await a.get('acme', session.id)).toBeNull();
  });
});
