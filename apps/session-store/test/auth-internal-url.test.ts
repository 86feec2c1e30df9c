import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issuerUrl } from '@airlock/contracts';
import { AUDIENCE, startHarness } from './support/harness.js';
import type { Harness } from './support/harness.js';

// The public auth URL is a name this process cannot reach (as behind a proxy or in a container network):
// the store must fetch keys from AUTH_INTERNAL_URL while tokens still name the public issuer.
const PUBLIC_AUTH_URL = 'https://auth.airlock.invalid';

describe('session store reaching the auth server at AUTH_INTERNAL_URL', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ authPublicUrl: PUBLIC_AUTH_URL });
  });

  afterAll(async () => {
    await h?.close();
  });

  it('fetches the JWKS from the internal URL and accepts tokens naming the public issuer', async () => {
    const write = await h.token('acme', 'sessions:write');
    const created = await h.api('POST', '/v1/t/acme/sessions', { token: write, body: { subject: 'alice', clientId: 'claude' } });
    expect(created.status).toBe(201);
    expect(h.issuer.jwksFetches('acme')).toBeGreaterThan(0);
  });

  it('refuses tokens naming the internal URL as their issuer', async () => {
    const token = await h.issuer.mint('acme', { audience: AUDIENCE, scope: 'sessions:read', issuer: issuerUrl(h.issuer.baseUrl, 'acme') });
    expect((await h.api('GET', '/v1/t/acme/sessions?subject=alice', { token })).status).toBe(401);
    const named = await h.token('acme', 'sessions:read');
    expect((await h.api('GET', '/v1/t/acme/sessions?subject=alice', { token: named })).status).toBe(200);
  });
});
