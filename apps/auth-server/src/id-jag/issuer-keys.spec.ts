import { describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { IssuerKeys, IssuerKeysError, UNKNOWN_KID_REFETCH_MS } from './issuer-keys.js';
import type { TrustedIssuerRow } from './id-jag.repository.js';

const ISSUER = 'https://idp.example';

async function key(kid: string) {
  const pair = await generateKeyPair('ES256', { extractable: true });
  return { kid, privateKey: pair.privateKey, jwk: { ...(await exportJWK(pair.publicKey)), kid, alg: 'ES256' } };
}

function row(overrides: Partial<TrustedIssuerRow> = {}): TrustedIssuerRow {
  const at = new Date('2026-12-01T00:00:00Z');
  return { id: 'i1', issuer: ISSUER, jwksUri: `${ISSUER}/jwks`, jwks: null, allowedClientIds: [], enabled: true, provisionUsers: false, createdAt: at, updatedAt: at, ...overrides };
}

const sign = (signer: Awaited<ReturnType<typeof key>>) =>
  new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: signer.kid }).setIssuer(ISSUER).setIssuedAt().setExpirationTime('5m').sign(signer.privateKey);

describe('IssuerKeys', () => {
  it('caches the key set, refetches for an unknown kid at most every 30 s, and refetches when the issuer changes', async () => {
    const [first, rotated] = [await key('k1'), await key('k2')];
    let published = [first.jwk];
    let fetches = 0;
    let now = 1_000_000;
    const keys = new IssuerKeys({ get: async () => ((fetches += 1), { status: 200, headers: {}, body: Buffer.from(JSON.stringify({ keys: published })) }) }, () => now);

    await keys.verify(row(), await sign(first), { issuer: ISSUER });
    await keys.verify(row(), await sign(first), { issuer: ISSUER });
    expect(fetches).toBe(1);

    // The IdP rotates; within 30 s of the last fetch an unknown kid is refused without a fetch.
    published = [first.jwk, rotated.jwk];
    now += UNKNOWN_KID_REFETCH_MS - 1;
    await expect(keys.verify(row(), await sign(rotated), { issuer: ISSUER })).rejects.toThrow();
    expect(fetches).toBe(1);
    now += 1;
    await keys.verify(row(), await sign(rotated), { issuer: ISSUER });
    expect(fetches).toBe(2);

    // A flood of made-up kids right after costs no fetch.
    const stranger = await key('k9');
    for (let i = 0; i < 5; i++) await expect(keys.verify(row(), await sign(stranger), { issuer: ISSUER })).rejects.toThrow();
    expect(fetches).toBe(2);

    // An admin edit (updatedAt) fetches afresh.
    await keys.verify(row({ updatedAt: new Date('2026-12-02T00:00:00Z') }), await sign(first), { issuer: ISSUER });
    expect(fetches).toBe(3);
  });

  it('uses inline keys without fetching, and refuses an unusable or failing jwks_uri', async () => {
    const signer = await key('k1');
    const never = new IssuerKeys({ get: async () => { throw new Error('no fetch expected'); } });
    await never.verify(row({ jwksUri: null, jwks: { keys: [signer.jwk] } }), await sign(signer), { issuer: ISSUER });
    await expect(never.verify(row({ id: 'i2' }), await sign(signer), { issuer: ISSUER })).rejects.toBeInstanceOf(IssuerKeysError);
    const notFound = new IssuerKeys({ get: async () => ({ status: 404, headers: {}, body: Buffer.from('{}') }) });
    await expect(notFound.verify(row({ id: 'i3' }), await sign(signer), { issuer: ISSUER })).rejects.toThrow(/answered 404/);
    const privateKeys = new IssuerKeys({ get: async () => ({ status: 200, headers: {}, body: Buffer.from(JSON.stringify({ keys: [{ ...signer.jwk, d: 'x' }] })) }) });
    await expect(privateKeys.verify(row({ id: 'i4' }), await sign(signer), { issuer: ISSUER })).rejects.toBeInstanceOf(IssuerKeysError);
  });
});
