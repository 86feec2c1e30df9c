import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFixtureProcess, startGatewayWorld } from './support/gateway-harness.js';
import type { FixtureProcess, GatewayWorld } from './support/gateway-harness.js';
import { initializeBody, post } from './support/raw-mcp.js';

// One error mapper for every path: a refusal of the same kind looks the same wherever it is raised.
describe('gateway error responses', () => {
  let world: GatewayWorld;
  let fixture: FixtureProcess;
  beforeAll(async () => {
    // A window the test cannot straddle, so the count is never reset halfway.
    world = await startGatewayWorld({ perTenantPerMinute: 1, rateWindowMs: 3_600_000 });
    fixture = await startFixtureProcess();
    await world.addUpstream({ name: 'web', transport: 'http', url: fixture.url });
  });
  afterAll(async () => {
    await world?.close();
    await fixture?.stop();
  });

  it('a rate-limited initialize gets Retry-After like any other rate-limited request', async () => {
    const url = world.serverUrl('web');
    const token = await world.token(url);
    const first = await post(url, initializeBody(), { authorization: `Bearer ${token}` });
    expect(first.status).toBe(200);
    await first.text();
    const second = await post(url, initializeBody(), { authorization: `Bearer ${token}` });
    expect(second.status).toBe(429);
    expect(await second.json()).toEqual({ jsonrpc: '2.0', id: null, error: { code: -32000, message: 'Too Many Requests' } });
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(second.headers.get('x-request-id')).toBeTruthy();
  });
});
