import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queues, revokedClientKey } from '@airlock/contracts';
import type { ClientRevokedEvent, Session } from '@airlock/contracts';
import { SessionJobs } from '../src/index.js';
import { startHarness } from './support/harness.js';
import type { Harness } from './support/harness.js';

// A deleted or disabled client (the auth server's client.revoked job and revoked-client marker): its live
// MCP sessions end, and no new one opens for a token it got before the revocation.

describe('client revocation at the session store', () => {
  let h: Harness;
  let write: string;
  let read: string;
  const now = () => Math.floor(Date.now() / 1000);

  const create = async (clientId: string, extra: Record<string, unknown> = {}) =>
    h.api('POST', '/v1/t/acme/sessions', { token: write, body: { subject: clientId, clientId, ...extra } });
  const durableRow = async (id: string) => (await h.db.pg.query<{ state: string; ended_reason: string | null }>('SELECT state, ended_reason FROM sessions WHERE id = $1', [id])).rows[0];

  beforeAll(async () => {
    h = await startHarness();
    write = await h.token('acme', 'sessions:write');
    read = await h.token('acme', 'sessions:read');
  });
  afterAll(async () => {
    await h?.close();
  });

  it('the client.revoked job ends every live session of the client, and only its', async () => {
    const clientId = `svc-${randomUUID()}`;
    const bystanderId = `svc-${randomUUID()}`;
    const mine = [(await create(clientId)).json<Session>(), (await create(clientId, { grantId: `cc.${randomUUID()}` })).json<Session>()];
    const bystander = (await create(bystanderId)).json<Session>();
    await h.settle();

    const event: ClientRevokedEvent = { tenant: 'acme', clientId, reason: 'client_deleted', revokedBefore: now(), notAfter: now() + 660 };
    await h.queues.enqueue(Queues.sessions, SessionJobs.clientRevoked, event, { jobId: `client-revoked-${clientId}` });
    await h.settle();

    for (const session of mine) {
      expect((await h.api('GET', `/v1/t/acme/sessions/${session.id}`, { token: read })).status).toBe(404);
      expect(await durableRow(session.id)).toMatchObject({ state: 'revoked', ended_reason: 'client_revoked:client_deleted' });
    }
    expect((await h.api('GET', `/v1/t/acme/sessions/${bystander.id}`, { token: read })).status).toBe(200);
  });

  it('refuses a session for a token the client got before its revocation, not for one it got after', async () => {
    const clientId = `svc-${randomUUID()}`;
    const revokedBefore = now();
    const event: ClientRevokedEvent = { tenant: 'acme', clientId, reason: 'client_disabled', revokedBefore, notAfter: revokedBefore + 660 };
    await h.hot.set(revokedClientKey('acme', clientId), JSON.stringify(event), { ttlMs: 660_000 });

    for (const extra of [{ tokenIssuedAt: revokedBefore - 5 }, { tokenIssuedAt: revokedBefore }, {}]) {
      const refused = await create(clientId, extra);
      expect(refused.status).toBe(400);
      expect(refused.json()).toEqual({ error: 'invalid_request', error_description: 'the client of this session has been revoked' });
    }
    // Re-enabled and issued a new token since: fine.
    expect((await create(clientId, { tokenIssuedAt: revokedBefore + 1 })).status).toBe(201);
  });
});
