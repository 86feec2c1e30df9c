import { connect } from 'node:http2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFixtureProcess, startGatewayWorld } from './support/gateway-harness.js';
import type { FixtureProcess, GatewayWorld } from './support/gateway-harness.js';
import { h2Request } from './support/h2-request.js';
import { ACCEPT_BOTH, initializeBody } from './support/raw-mcp.js';

// Cleartext HTTP/2 (prior knowledge, what a proxy such as Caddy speaks to the gateway with `h2c://`):
// many SSE streams of one session share one connection.

describe('gateway over h2c', () => {
  let world: GatewayWorld;
  let fixture: FixtureProcess;

  beforeAll(async () => {
    world = await startGatewayWorld({}, { HTTP2_CLEARTEXT: 'true' });
    fixture = await startFixtureProcess();
    await world.addUpstream({ name: 'web', transport: 'http', url: fixture.url });
  });
  afterAll(async () => {
    await world?.close();
    await fixture?.stop();
  });

  it('serves 20 concurrent tool calls of one session on one connection, slow ones as SSE', async () => {
    const url = new URL(world.serverUrl('web'));
    const token = await world.token(url.href);
    const session = connect(url.origin);
    const base = { ':path': url.pathname, 'content-type': 'application/json', accept: ACCEPT_BOTH, authorization: `Bearer ${token}` };
    const init = await h2Request(session, { ...base, ':method': 'POST' }, initializeBody());
    expect(init.status).toBe(200);
    const sessionId = String(init.headers['mcp-session-id']);
    const headers = { ...base, ':method': 'POST', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' };
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        h2Request(
          session,
          headers,
          JSON.stringify({ jsonrpc: '2.0', id: index, method: 'tools/call', params: index % 2 ? { name: 'echo', arguments: { text: `n${index}` } } : { name: 'slow', arguments: { ms: 300 } } }),
        ),
      ),
    );
    for (const [index, answer] of answers.entries()) {
      expect(answer.status).toBe(200);
      if (index % 2) {
        // Quick: one JSON body, or SSE when the machine was too busy to answer within the priming delay.
        if (answer.headers['content-type'] === 'application/json') expect(JSON.parse(answer.text)).toMatchObject({ id: index, result: { content: [{ text: `n${index}` }] } });
        else expect(answer.text).toContain(`"text":"n${index}"`);
      } else {
        expect(answer.headers['content-type']).toContain('text/event-stream');
        expect(answer.text).toContain('"text":"slow done"');
      }
    }
    session.close();
  });
});
