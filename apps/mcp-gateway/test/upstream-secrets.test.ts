import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { upstreamSecretContext } from '@airlock/contracts';
import { sealSecret } from '@airlock/platform';
import { startFixtureProcess, startGatewayWorld } from './support/gateway-harness.js';
import type { FixtureProcess, GatewayWorld } from './support/gateway-harness.js';
import { initializeBody, post } from './support/raw-mcp.js';

// Sealed upstream secrets as the admin API writes them (contracts' context and shapes), opened by the
// gateway: a static header reaches the upstream, the user's token does not; a sealed value of a shape
// the admin API would refuse, or sealed for another server, does not start the upstream.

describe('sealed upstream secrets', () => {
  let world: GatewayWorld;
  let fixture: FixtureProcess;

  beforeAll(async () => {
    world = await startGatewayWorld();
    fixture = await startFixtureProcess();
    await world.addUpstream({ name: 'keyed', transport: 'http', url: fixture.url, credentialKind: 'static_header', secrets: { header: { name: 'x-api-key', value: 'k-123' } } });
    const broken = [
      // A shape the admin API refuses (no value).
      { name: 'misshaped', sealed: sealSecret(world.masterKey, JSON.stringify({ header: { name: 'x-api-key' } }), upstreamSecretContext(world.tenantId, 'misshaped')) },
      // Sealed for another server, copied to this row.
      { name: 'moved', sealed: sealSecret(world.masterKey, JSON.stringify({ header: { name: 'x-api-key', value: 'k-123' } }), upstreamSecretContext(world.tenantId, 'keyed')) },
    ];
    for (const { name, sealed } of broken) {
      await world.db.pg.query(
        `INSERT INTO upstream_servers (id, tenant_id, name, transport, url, secrets_encrypted, credential_kind, updated_at)
         VALUES (gen_random_uuid(), $1, $2, 'http', $3, $4, 'static_header', now())`,
        [world.tenantId, name, fixture.url, sealed],
      );
    }
  });
  afterAll(async () => {
    await world?.close();
    await fixture?.stop();
  });

  it('sends the static header upstream and never the user token', async () => {
    const url = world.serverUrl('keyed');
    const client = new Client({ name: 'secrets', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${await world.token(url)}` } } }));
    const answer = await client.callTool({ name: 'whoami', arguments: {} });
    expect(JSON.parse((answer.content as Array<{ text: string }>)[0]!.text)).toMatchObject({ apiKey: 'k-123', authorization: null });
    await client.close();
  });

  it('does not start an upstream whose sealed secrets have another shape or another server’s context', async () => {
    for (const name of ['misshaped', 'moved']) {
      const url = world.serverUrl(name);
      const response = await post(url, initializeBody(), { authorization: `Bearer ${await world.token(url)}` });
      const text = await response.text();
      // A JSON-RPC error for the initialize request, and no session.
      expect(text, name).toContain('"code":-32603');
      expect(text).toContain('The upstream server is unavailable');
      expect(text).not.toContain('k-123');
      expect(response.headers.get('mcp-session-id')).toBeNull();
    }
  });
});
