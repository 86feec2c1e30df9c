import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregatedMcpUrl, grantRevokedEventSchema, Queues, type GrantRevokedEvent } from '@airlock/contracts';
import { deriveServiceClientSecret, ServiceClients } from '@airlock/platform';
import { createAccessTokenVerifier, type AccessTokenVerifier } from '@airlock/token-verifier';
import { postForm, startAuthServerHarness, type AuthServerHarness } from './support/auth-server-harness.js';
import { CookieJar, OAuthFlow } from './support/oauth-flow.js';
import { startSessionStoreStandIn, type SessionStoreStandIn } from './support/session-store-stand-in.js';

// Deleting a tenant through the admin API ends everything it issued: its users' tokens are refused by a
// resource server's verifier (warm or cold), the session store ends its sessions, its issuer is gone.

const ADMIN = { id: 'test-admin', secret: 'test-admin-secret-0123456789abcdef' };

let h: AuthServerHarness;
let store: SessionStoreStandIn;
const grantJobs: GrantRevokedEvent[] = [];

async function admin(method: string, path: string, body?: unknown): Promise<Response> {
  const token = await postForm(`${h.url}/t/admin/token`, { grant_type: 'client_credentials', scope: 'admin' }, ADMIN);
  return fetch(`${h.url}/admin/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${String(token.json['access_token'])}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
}

beforeAll(async () => {
  store = await startSessionStoreStandIn();
  h = await startAuthServerHarness({ SESSION_STORE_URL: store.url });
  store.useIssuer(h.url, h.hot);
  // What the session store's worker would get on Queues.sessions.
  h.queues.work<unknown>(Queues.sessions, async (job) => {
    if (job.name === 'grant.revoked') grantJobs.push(grantRevokedEventSchema.parse(job.data));
  });
});
afterAll(async () => {
  await h?.close();
  await store?.close();
});

describe('deleting a tenant', () => {
  const verifiers: AccessTokenVerifier[] = [];
  afterAll(async () => {
    await Promise.all(verifiers.map((verifier) => verifier.close()));
  });
  const verifier = () => {
    const created = createAccessTokenVerifier({ issuerBaseUrl: h.url, hot: h.hot });
    verifiers.push(created);
    return created;
  };

  it('refuses its tokens at every verifier, ends its sessions at the session store and leaves nothing behind', async () => {
    expect((await admin('POST', '/tenants', { slug: 'doomed', displayName: 'Doomed' })).status).toBe(201);
    const user = await admin('POST', '/tenants/doomed/users', { email: 'ivy@example.com', password: 'ivy password 1234' });
    const userId = String(((await user.json()) as Record<string, unknown>)['id']);
    const flow = new OAuthFlow(h.url, 'doomed', { email: 'ivy@example.com', password: 'ivy password 1234' });
    const client = await flow.register();
    const resource = aggregatedMcpUrl(h.config.gatewayPublicUrl, 'doomed');
    const jar = new CookieJar();
    const { code, verifier: pkceVerifier } = await flow.code(jar, client);
    const tokens = await flow.redeem(client, code, pkceVerifier);
    expect(tokens.status).toBe(200);
    const accessToken = String(tokens.json['access_token']);
    // An MCP session the gateway opened for the user.
    const gatewayToken = await postForm(`${h.url}/t/doomed/token`, { grant_type: 'client_credentials' }, { id: ServiceClients.gateway, secret: deriveServiceClientSecret(h.infra.masterKey, ServiceClients.gateway, 'doomed') });
    const mcp = await fetch(`${store.url}/v1/t/doomed/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${String(gatewayToken.json['access_token'])}`, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'mcp', subject: userId, clientId: client.clientId }),
    });
    expect(mcp.status).toBe(201);
    await h.queues.drain(Queues.auth, 20_000);
    expect(store.live('doomed', userId).map((s) => s.kind).sort()).toEqual(['login', 'mcp']);

    // A gateway replica that has already verified this tenant's tokens (its JWKS is cached).
    const warm = verifier();
    await expect(warm.verify(accessToken, { tenant: 'doomed', audience: resource })).resolves.toMatchObject({ sub: userId });
    expect(await h.hot.scan('oidc:doomed:*')).not.toEqual([]);

    expect((await admin('DELETE', '/tenants/doomed')).status).toBe(204);

    // Its issuer is gone: a replica that never saw the tenant gets a 404 for the JWKS, an invalid token.
    expect((await fetch(`${h.url}/t/doomed/jwks`)).status).toBe(404);
    await expect(verifier().verify(accessToken, { tenant: 'doomed', audience: resource })).rejects.toMatchObject({ code: 'invalid_token', description: 'the access token is not valid for this tenant' });
    // The warm replica refuses it too: the grant was marked revoked before the keys went.
    for (let i = 0; i < 200 && warm.isGrantRevoked('doomed', String(JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString())['grant_id'])) === false; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await expect(warm.verify(accessToken, { tenant: 'doomed', audience: resource })).rejects.toMatchObject({ code: 'invalid_token', description: 'the access token has been revoked' });

    // The session store ended the user's sessions, and got a grant.revoked job for each grant.
    expect(store.live('doomed', userId)).toEqual([]);
    expect([...store.sessions.values()].filter((s) => s.subject === userId).map((s) => s.endedReason)).toEqual(['tenant_deleted', 'tenant_deleted']);
    await h.queues.drain(Queues.sessions, 20_000);
    expect(grantJobs.filter((job) => job.tenant === 'doomed').map((job) => job.reason)).toEqual(['tenant_deleted']);
    // Nothing of it is left in the hot store for a tenant created again under the same slug.
    expect(await h.hot.scan('oidc:doomed:*')).toEqual([]);
    expect((await flow.refresh(client, String(tokens.json['refresh_token']))).status).toBe(404);
  });
});
