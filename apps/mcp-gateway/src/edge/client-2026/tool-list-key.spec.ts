import { describe, expect, it } from 'vitest';
import { toolListKey } from './client-2026-endpoint.js';
import type { Client2026Call } from './client-2026-endpoint.js';
import type { UpstreamServerRecord } from '../../tenants/tenant-catalog.js';

const server = (over: Partial<UpstreamServerRecord> = {}): UpstreamServerRecord => ({
  id: 's1',
  tenantId: 't1',
  name: 'notes',
  transport: 'http',
  url: 'http://upstream.example/mcp',
  command: null,
  args: [],
  secretsEncrypted: null,
  credentialKind: 'none',
  protocolVersion: '2026-07-28',
  sandbox: true,
  readOnlyPaths: [],
  updatedAt: new Date(1_000),
  ...over,
});
const caller = (sub: string, clientId = 'c1') => ({ tenant: { slug: 'acme' }, auth: { claims: { sub, client_id: clientId } } }) as unknown as Client2026Call;

describe('toolListKey (whose cached tool list a 2026-07-28 call uses)', () => {
  it('one list per server for credentials that show the upstream the gateway alone', () => {
    for (const credentialKind of ['none', 'static_header', 'client_credentials'] as const) {
      expect(toolListKey(server({ credentialKind }), caller('alice'))).toBe(toolListKey(server({ credentialKind }), caller('bob', 'c2')));
    }
  });

  it('token exchange: one list per user and client, since the upstream sees the user', () => {
    const exchange = server({ credentialKind: 'token_exchange' });
    expect(toolListKey(exchange, caller('alice'))).toBe(toolListKey(exchange, caller('alice')));
    expect(toolListKey(exchange, caller('alice'))).not.toBe(toolListKey(exchange, caller('bob')));
    expect(toolListKey(exchange, caller('alice', 'c1'))).not.toBe(toolListKey(exchange, caller('alice', 'c2')));
  });

  it('a changed server record (admin update) or another server is another list', () => {
    expect(toolListKey(server(), caller('alice'))).not.toBe(toolListKey(server({ updatedAt: new Date(2_000) }), caller('alice')));
    expect(toolListKey(server(), caller('alice'))).not.toBe(toolListKey(server({ id: 's2' }), caller('alice')));
  });
});
