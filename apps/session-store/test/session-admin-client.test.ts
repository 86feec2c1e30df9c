import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionAdminClient, SessionStoreClientError, type TokenSource } from '@airlock/session-client';
import { SESSION_STORE_URL, startHarness } from './support/harness.js';
import type { Harness } from './support/harness.js';

// The auth server's client of the session store (login sessions, sign-out, admin revocations), against the
// real store with tokens from the harness issuer standing in for the auth server's self-signed ones.
describe('SessionAdminClient (the auth server side)', () => {
  let h: Harness;
  const issued: string[] = [];
  const invalidated: string[] = [];
  let refuseNext = false;

  const tokens: TokenSource = {
    async get(tenant) {
      issued.push(tenant);
      // A token the store refuses (e.g. signed by a key deleted with its tenant): the client must drop it and retry once.
      if (refuseNext) {
        refuseNext = false;
        return 'not-a-token';
      }
      return h.token(tenant, 'sessions:admin', { clientId: 'airlock-auth-server' });
    },
    invalidate(tenant) {
      invalidated.push(tenant);
    },
  };
  const client = (options: { timeoutMs?: number; url?: string } = {}) =>
    new SessionAdminClient({
      sessionStoreUrl: SESSION_STORE_URL,
      tokens,
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
      fetch: (input, init) => fetch(String(input).replace(SESSION_STORE_URL, options.url ?? h.store.url), init),
    });

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('creates a login session, touches it, and ends it once; ending it again or touching it afterwards says it is gone', async () => {
    const store = client();
    const session = await store.create('acme', { kind: 'login', subject: 'alice', clientId: 'airlock-auth-server', idleTimeoutSeconds: 600, lifetimeSeconds: 3600 });
    expect(session).toMatchObject({ tenant: 'acme', kind: 'login', subject: 'alice' });
    expect(await store.touch('acme', session.id)).toBe(true);
    expect(await store.revoke('acme', session.id, 'logout')).toBe(true);
    expect(await store.revoke('acme', session.id, 'logout')).toBe(false);
    await expect(store.end('acme', session.id, 'logout')).resolves.toBeUndefined();
    expect(await store.touch('acme', session.id)).toBe(false);
  });

  it('ends every session of a subject or of a client and says how many were live', async () => {
    const store = client();
    for (const clientId of ['claude', 'claude', 'cursor']) await store.create('acme', { subject: 'bob', clientId });
    expect(await store.revokeClient('acme', 'cursor', 'admin')).toBe(1);
    expect(await store.revokeSubject('acme', 'bob', 'admin')).toBe(2);
    expect(await store.revokeSubject('acme', 'bob', 'admin')).toBe(0);
  });

  it('drops a refused token and retries once with a new one', async () => {
    const store = client();
    invalidated.length = 0;
    refuseNext = true;
    const session = await store.create('acme', { subject: 'carol', clientId: 'claude' });
    expect(session.subject).toBe('carol');
    expect(invalidated).toEqual(['acme']);
  });

  it('gives up after its timeout with temporarily_unavailable', async () => {
    const { createServer } = await import('node:http');
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address() as { port: number };
    try {
      const started = Date.now();
      const error = await client({ timeoutMs: 200, url: `http://127.0.0.1:${address.port}` })
        .revoke('acme', 'x', 'admin')
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SessionStoreClientError);
      expect(error).toMatchObject({ code: 'temporarily_unavailable', status: 503 });
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });
});
