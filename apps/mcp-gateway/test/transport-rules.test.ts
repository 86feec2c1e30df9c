import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRANT_REVOKED_CHANNEL, revokedGrantKey, wellKnownUrl } from '@airlock/contracts';
import { startFixtureProcess, startGatewayWorld } from './support/gateway-harness.js';
import type { FixtureProcess, GatewayWorld } from './support/gateway-harness.js';
import { ACCEPT_BOTH, answerOf, initializeBody, jsonRpcResult, openSession, post, readEvents } from './support/raw-mcp.js';

// One negative test per rule of the transport and of authorisation, each checked at the HTTP level.

describe('gateway transport and authorisation rules', () => {
  let world: GatewayWorld;
  let fixture: FixtureProcess;
  let url: string;
  let token: string;
  let sessionId: string;
  const headers = () => ({ authorization: `Bearer ${token}`, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' });
  const call = (id: number, name: string, args: Record<string, unknown> = {}) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });

  beforeAll(async () => {
    world = await startGatewayWorld({ bodyLimitBytes: 64 * 1024 });
    fixture = await startFixtureProcess();
    const serverId = await world.addUpstream({ name: 'web', transport: 'http', url: fixture.url });
    await world.db.pg.query(
      `INSERT INTO tools (id, tenant_id, server_id, name, required_scopes, updated_at) VALUES (gen_random_uuid(), $1, $2, 'slow', ARRAY['tools:slow'], now())`,
      [world.tenantId, serverId],
    );
    url = world.serverUrl('web');
    token = await world.token(url);
    sessionId = await openSession(url, token);
  });
  afterAll(async () => {
    await world?.close();
    await fixture?.stop();
  });

  it("advertises the endpoint's tool scopes in its resource metadata", async () => {
    const metadata = (await (await fetch(wellKnownUrl(url, 'oauth-protected-resource'))).json()) as { scopes_supported: string[] };
    expect(metadata.scopes_supported).toEqual(['mcp', 'tools:slow']);
  });

  it('answers a request without a token with 401 and a challenge naming the resource metadata', async () => {
    const response = await post(url, initializeBody(), {});
    expect(response.status).toBe(401);
    const challenge = response.headers.get('www-authenticate') ?? '';
    expect(challenge).toMatch(/^Bearer /);
    expect(challenge).toContain(`resource_metadata="${wellKnownUrl(url, 'oauth-protected-resource')}"`);
    expect(challenge).not.toContain('error=');
  });

  it('refuses a token for another endpoint (wrong audience)', async () => {
    const response = await post(url, initializeBody(), { authorization: `Bearer ${await world.token(world.aggregatedUrl)}` });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it("refuses another tenant's token, even one naming this tenant's issuer", async () => {
    await world.issuer.addKey('othertenant');
    const foreign = await world.issuer.mint('othertenant', { audience: url, scope: 'mcp' });
    expect((await post(url, initializeBody(), { authorization: `Bearer ${foreign}` })).status).toBe(401);
    const forged = await world.issuer.mint(world.tenant, { audience: url, scope: 'mcp', signingTenant: 'othertenant' });
    expect((await post(url, initializeBody(), { authorization: `Bearer ${forged}` })).status).toBe(401);
  });

  it('refuses an expired token and a token in the query string', async () => {
    const expired = await world.token(url, { expiresInSeconds: -3600 });
    expect((await post(url, initializeBody(), { authorization: `Bearer ${expired}` })).status).toBe(401);
    const inQuery = await post(`${url}?access_token=${token}`, initializeBody(), {});
    expect(inQuery.status).toBe(400);
    expect(((await inQuery.json()) as { error: string }).error).toBe('invalid_request');
  });

  it('hides a session from another principal (404), even with a valid token for the endpoint', async () => {
    const bob = await world.token(url, { subject: 'bob' });
    const otherClient = await world.token(url, { clientId: 'client-b' });
    for (const other of [bob, otherClient]) {
      const response = await post(url, call(2, 'echo', { text: 'x' }), { ...headers(), authorization: `Bearer ${other}` });
      expect(response.status).toBe(404);
    }
  });

  it('requires Mcp-Session-Id on non-initialize requests (400) and answers unknown ones with 404', async () => {
    expect((await post(url, call(3, 'echo', { text: 'x' }), { authorization: `Bearer ${token}` })).status).toBe(400);
    expect((await post(url, call(3, 'echo', { text: 'x' }), { ...headers(), 'mcp-session-id': 'A'.repeat(32) })).status).toBe(404);
  });

  it('refuses a bad Origin and a rebinding Host with 403', async () => {
    expect((await post(url, initializeBody(), { authorization: `Bearer ${token}`, origin: 'https://evil.example.com' })).status).toBe(403);
    const rebinding = await new Promise<number>((resolve, reject) => {
      // fetch does not let a caller set Host; node:http does.
      void import('node:http').then(({ request }) => {
        const target = new URL(url);
        const req = request(
          { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { host: 'evil.example.com', 'content-type': 'application/json', accept: ACCEPT_BOTH, authorization: `Bearer ${token}` } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.once('error', reject);
        req.end(initializeBody());
      });
    });
    expect(rebinding).toBe(403);
  });

  it('refuses an oversized body with 413', async () => {
    const big = JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'echo', arguments: { text: 'x'.repeat(100 * 1024) } } });
    expect((await post(url, big, headers())).status).toBe(413);
  });

  it('answers malformed JSON with -32700 and invalid JSON-RPC with -32600', async () => {
    const malformed = await post(url, '{"jsonrpc": "2.0", "id": 1,', headers());
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { code: number } }).error.code).toBe(-32700);
    for (const body of ['{"jsonrpc":"1.0","id":1,"method":"ping"}', '{"jsonrpc":"2.0","id":{"x":1},"method":"ping"}', '{"jsonrpc":"2.0","id":1,"method":"ping","params":[1]}', '42']) {
      const response = await post(url, body, headers());
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { code: number } }).error.code).toBe(-32600);
    }
  });

  it('refuses a JSON-RPC batch for 2025-06-18 and later', async () => {
    const batch = JSON.stringify([JSON.parse(call(5, 'echo', { text: 'a' })), JSON.parse(call(6, 'echo', { text: 'b' }))]);
    const response = await post(url, batch, headers());
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: number } }).error.code).toBe(-32600);
  });

  it('checks MCP-Protocol-Version, Accept and Content-Type', async () => {
    expect((await post(url, call(7, 'echo', { text: 'x' }), { ...headers(), 'mcp-protocol-version': '1999-01-01' })).status).toBe(400);
    expect((await post(url, call(7, 'echo', { text: 'x' }), { ...headers(), accept: 'application/json' })).status).toBe(406);
    expect((await post(url, call(7, 'echo', { text: 'x' }), { ...headers(), 'content-type': 'text/plain' })).status).toBe(415);
    expect((await fetch(url, { method: 'GET', headers: { ...headers(), accept: 'application/json' } })).status).toBe(406);
    expect((await fetch(url, { method: 'PUT', headers: headers() })).status).toBe(405);
  });

  it('accepts notifications with 202 and answers a quick lone request (-32601 for an unknown method) as one JSON body', async () => {
    expect((await post(url, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/roots/list_changed' }), headers())).status).toBe(202);
    const response = await post(url, JSON.stringify({ jsonrpc: '2.0', id: 8, method: 'no/such' }), headers());
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('mcp-session-id')).toBe(sessionId);
    expect(await response.json()).toMatchObject({ jsonrpc: '2.0', id: 8, error: { code: -32601 } });
  });

  it('answers a call slower than the priming delay on an SSE stream that starts with a priming event', async () => {
    const scoped = await world.token(url, { scope: 'mcp tools:slow' });
    const response = await post(url, call(81, 'slow', { ms: 300 }), { ...headers(), authorization: `Bearer ${scoped}` });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const events = await readEvents(response, (seen) => jsonRpcResult(seen, 81) !== undefined);
    expect(events[0]).toMatchObject({ data: '' });
    expect(events[0]!.id).toBeDefined();
    expect(events[0]!.retry).toBeGreaterThan(0);
    expect(jsonRpcResult(events, 81)).toMatchObject({ result: { content: [{ text: 'slow done' }] } });
  });

  it('refuses a tool that needs more scope with 403 insufficient_scope naming the scope', async () => {
    const response = await post(url, call(9, 'slow', { ms: 1 }), headers());
    expect(response.status).toBe(403);
    const challenge = response.headers.get('www-authenticate') ?? '';
    expect(challenge).toContain('error="insufficient_scope"');
    expect(challenge).toContain('scope="tools:slow"');
    const scoped = await world.token(url, { scope: 'mcp tools:slow' });
    const allowed = await post(url, call(9, 'slow', { ms: 1 }), { ...headers(), authorization: `Bearer ${scoped}` });
    expect(allowed.status).toBe(200);
    expect(await answerOf(allowed, 9)).toMatchObject({ result: { content: [{ text: 'slow done' }] } });
  });

  it('replays nothing for a forged or foreign Last-Event-ID', async () => {
    // Slower than the priming delay: an SSE stream with event ids.
    const scoped = await world.token(url, { scope: 'mcp tools:slow' });
    const response = await post(url, call(10, 'slow', { ms: 300 }), { ...headers(), authorization: `Bearer ${scoped}` });
    const events = await readEvents(response, (seen) => jsonRpcResult(seen, 10) !== undefined);
    const foreignId = events[0]!.id!;
    const otherSession = await openSession(url, token);
    for (const lastEventId of [foreignId, 'forged', `${foreignId.split('_')[0]}_0-0`]) {
      const get = await fetch(url, { headers: { ...headers(), 'mcp-session-id': otherSession, accept: 'text/event-stream', 'last-event-id': lastEventId } });
      expect(get.status).toBe(200);
      const replay = await readEvents(get, (seen) => seen.length >= 1);
      // A fresh standalone stream: its priming event, never the other session's messages.
      expect(replay[0]).toMatchObject({ data: '' });
      expect(replay[0]!.id!.split('_')[0]).not.toBe(foreignId.split('_')[0]);
    }
  });

  it('serves a JSON-RPC batch to a 2025-03-26 session, answering every request on one stream', async () => {
    const init = await post(url, initializeBody(1, '2025-03-26'), { authorization: `Bearer ${token}` });
    expect(((await init.json()) as { result: { protocolVersion: string } }).result.protocolVersion).toBe('2025-03-26');
    const legacy = init.headers.get('mcp-session-id')!;
    const batch = JSON.stringify([JSON.parse(call(31, 'echo', { text: 'one' })), JSON.parse(call(32, 'echo', { text: 'two' })), { jsonrpc: '2.0', method: 'notifications/initialized' }]);
    const response = await post(url, batch, { authorization: `Bearer ${token}`, 'mcp-session-id': legacy });
    expect(response.status).toBe(200);
    const events = await readEvents(response, (seen) => jsonRpcResult(seen, 31) !== undefined && jsonRpcResult(seen, 32) !== undefined);
    expect(jsonRpcResult(events, 31)).toMatchObject({ result: { content: [{ text: 'one' }] } });
    expect(jsonRpcResult(events, 32)).toMatchObject({ result: { content: [{ text: 'two' }] } });
    // No empty-data priming event for a revision whose clients cannot parse one.
    expect(events.every((event) => event.data !== '')).toBe(true);
  });

  it('refuses a token whose grant was revoked, on its next request', async () => {
    const granted = await world.token(url, { grantId: 'grant-to-revoke' });
    const session = await openSession(url, granted);
    const ping = () => post(url, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/roots/list_changed' }), { ...headers(), authorization: `Bearer ${granted}`, 'mcp-session-id': session });
    expect((await ping()).status).toBe(202);
    const notAfter = Math.floor(Date.now() / 1000) + 600;
    await world.hot.set(revokedGrantKey(world.tenant, 'grant-to-revoke'), String(notAfter), { ttlMs: 600_000 });
    await world.hot.publish(GRANT_REVOKED_CHANNEL, JSON.stringify({ tenant: world.tenant, grantId: 'grant-to-revoke', reason: 'user_revoked', notAfter }));
    for (;;) {
      const response = await ping();
      if (response.status === 401) {
        expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
        break;
      }
      expect(response.status).toBe(202);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });

  it('ends a session on DELETE; it is then 404', async () => {
    const doomed = await openSession(url, token);
    expect((await fetch(url, { method: 'DELETE', headers: { ...headers(), 'mcp-session-id': doomed } })).status).toBe(200);
    expect((await post(url, call(11, 'echo', { text: 'x' }), { ...headers(), 'mcp-session-id': doomed })).status).toBe(404);
  });
});

describe('gateway rate limits', () => {
  let world: GatewayWorld;
  let fixture: FixtureProcess;
  beforeAll(async () => {
    // A window the test cannot straddle, so the count is never reset halfway.
    world = await startGatewayWorld({ perSessionPerMinute: 3, rateWindowMs: 3_600_000 });
    fixture = await startFixtureProcess();
    await world.addUpstream({ name: 'web', transport: 'http', url: fixture.url });
  });
  afterAll(async () => {
    await world?.close();
    await fixture?.stop();
  });

  it('answers 429 with Retry-After once a session exceeds its budget', async () => {
    const url = world.serverUrl('web');
    const token = await world.token(url);
    const sessionId = await openSession(url, token);
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 5; i++) {
      const response = await post(url, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/roots/list_changed' }), {
        authorization: `Bearer ${token}`,
        'mcp-session-id': sessionId,
        'mcp-protocol-version': '2025-11-25',
      });
      statuses.push(response.status);
      if (response.status === 429) retryAfter = response.headers.get('retry-after');
    }
    // The initialized notification used one unit; two more pass, then 429.
    expect(statuses).toEqual([202, 202, 429, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
  });
});
