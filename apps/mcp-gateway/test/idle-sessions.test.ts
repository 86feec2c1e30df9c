import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFixtureProcess, startGatewayWorld } from './support/gateway-harness.js';
import type { FixtureProcess, GatewayWorld } from './support/gateway-harness.js';
import { answerOf, openSession, post } from './support/raw-mcp.js';

// A session nobody uses expires; its upstream session must not outlive it. The idle timeout leaves room
// for a loaded CI machine between opening the session and the first call (400 ms did not).

describe('idle sessions', () => {
  let world: GatewayWorld;
  let fixture: FixtureProcess;
  beforeAll(async () => {
    world = await startGatewayWorld({ sessionIdleTimeoutMs: 3_000, sessionSweepMs: 200 });
    fixture = await startFixtureProcess();
    await world.addUpstream({ name: 'web', transport: 'http', url: fixture.url });
  });
  afterAll(async () => {
    await world?.close();
    await fixture?.stop();
  });

  it('expires an idle session (404) and closes its upstream session', async () => {
    const url = world.serverUrl('web');
    const token = await world.token(url);
    const sessionId = await openSession(url, token);
    const headers = { authorization: `Bearer ${token}`, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' };
    const whoami = await post(url, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } }), headers);
    const result = (await answerOf(whoami, 1)) as { result: { content: Array<{ text: string }> } };
    const upstreamSession = (JSON.parse(result.result.content[0]!.text) as { sessionId: string }).sessionId;
    const upstreamStatus = async () => {
      const response = await post(fixture.url, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }), { 'mcp-session-id': upstreamSession, 'mcp-protocol-version': '2025-11-25' });
      await response.body?.cancel();
      return response.status;
    };
    expect(await upstreamStatus()).toBe(200);
    while ((await upstreamStatus()) !== 404) await new Promise((resolve) => setTimeout(resolve, 50));
    const late = await post(url, JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }), headers);
    expect(late.status).toBe(404);
  });
});
