import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { GRANT_REVOKED_CHANNEL, revokedClientKey } from '@airlock/contracts';
import type { ClientRevokedEvent } from '@airlock/contracts';
import type { HotStore } from '@airlock/redis';
import { createTestHotStore } from '@airlock/testing';
import { createAccessTokenVerifier, TokenError } from '../src/index.js';
import type { AccessTokenVerifier } from '../src/index.js';
import { startTestIssuer } from '../src/testing/index.js';
import type { TestIssuer } from '../src/testing/index.js';

const AUDIENCE = 'https://mcp.example.test/t/acme/mcp';
const now = () => Math.floor(Date.now() / 1000);

/** A client's revocation epoch: its tokens issued at or before it are refused, later ones are not. */
describe('client revocation epoch', () => {
  let issuer: TestIssuer;
  let hot: HotStore;
  const verifiers: AccessTokenVerifier[] = [];
  const newVerifier = () => {
    const verifier = createAccessTokenVerifier({ issuerBaseUrl: issuer.baseUrl, hot });
    verifiers.push(verifier);
    return verifier;
  };
  const refusal = async (promise: Promise<unknown>) => {
    const error = await promise.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(TokenError);
    return error as TokenError;
  };

  beforeAll(async () => {
    issuer = await startTestIssuer();
    hot = createTestHotStore();
    await issuer.addKey('acme', { alg: 'ES256', kid: 'acme-es' });
  });
  afterEach(async () => {
    await Promise.all(verifiers.splice(0).map((verifier) => verifier.close()));
  });
  afterAll(async () => {
    await issuer.close();
    await hot.close();
  });

  it('an epoch published on the revocation channel reaches two verifiers and refuses the client\'s older tokens only', async () => {
    const [first, second] = [newVerifier(), newVerifier()];
    await Promise.all([first.start(), second.start()]);
    const clientId = `svc-${crypto.randomUUID()}`;
    const token = await issuer.mint('acme', { audience: AUDIENCE, clientId, subject: clientId, scope: 'mcp' });
    const other = await issuer.mint('acme', { audience: AUDIENCE, clientId: 'someone-else', scope: 'mcp' });
    for (const verifier of [first, second]) await verifier.verify(token, { tenant: 'acme', audience: AUDIENCE });

    const event: ClientRevokedEvent = { tenant: 'acme', clientId, reason: 'client_deleted', revokedBefore: now(), notAfter: now() + 600 };
    await hot.publish(GRANT_REVOKED_CHANNEL, JSON.stringify(event));
    await vi.waitFor(
      () => {
        expect(first.isClientTokenRevoked('acme', clientId, event.revokedBefore)).toBe(true);
        expect(second.isClientTokenRevoked('acme', clientId, event.revokedBefore)).toBe(true);
      },
      { timeout: 1_000, interval: 10 },
    );
    for (const verifier of [first, second]) {
      expect((await refusal(verifier.verify(token, { tenant: 'acme', audience: AUDIENCE }))).description).toMatch(/revoked/);
      await expect(verifier.verify(other, { tenant: 'acme', audience: AUDIENCE })).resolves.toBeDefined();
      // The same client id in another tenant is another client; a token issued after the epoch is fine.
      expect(verifier.isClientTokenRevoked('globex', clientId, event.revokedBefore)).toBe(false);
      expect(verifier.isClientTokenRevoked('acme', clientId, event.revokedBefore + 1)).toBe(false);
    }
  });

  it('loads epochs already in the hot store at start, and forgets them after notAfter', async () => {
    const clientId = `svc-${crypto.randomUUID()}`;
    const expired = `svc-${crypto.randomUUID()}`;
    // Minted before the epoch is taken, so a second boundary in between cannot make it "newer" than the epoch.
    const token = await issuer.mint('acme', { audience: AUDIENCE, clientId, scope: 'mcp' });
    const live: ClientRevokedEvent = { tenant: 'acme', clientId, reason: 'client_disabled', revokedBefore: now(), notAfter: now() + 600 };
    const gone: ClientRevokedEvent = { tenant: 'acme', clientId: expired, reason: 'client_disabled', revokedBefore: now(), notAfter: now() - 1 };
    await hot.set(revokedClientKey('acme', clientId), JSON.stringify(live), { ttlMs: 600_000 });
    await hot.set(revokedClientKey('acme', expired), JSON.stringify(gone), { ttlMs: 600_000 });
    const verifier = newVerifier();
    await verifier.start();
    expect((await refusal(verifier.verify(token, { tenant: 'acme', audience: AUDIENCE }))).code).toBe('invalid_token');
    await expect(verifier.verify(await issuer.mint('acme', { audience: AUDIENCE, clientId: expired }), { tenant: 'acme', audience: AUDIENCE })).resolves.toBeDefined();
  });
});
