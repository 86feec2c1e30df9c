import type { Pool } from 'pg';
import { describe, expect, it } from 'vitest';
import type { Logger } from '@airlock/observability';
import type { UpstreamServerRecord } from '../tenants/tenant-catalog.js';
import type { UpstreamCredentials } from './upstream-credentials.js';
import { UpstreamEras } from './upstream-eras.js';

const caller = { tenant: 't', bearer: () => undefined };
const server = (overrides: Partial<UpstreamServerRecord> = {}): UpstreamServerRecord => ({
  id: 's1',
  tenantId: 'tenant',
  name: 'web',
  transport: 'http',
  url: 'http://upstream.test/mcp',
  command: null,
  args: [],
  secretsEncrypted: null,
  credentialKind: 'none',
  protocolVersion: null,
  sandbox: true,
  readOnlyPaths: [],
  protocolEra: 'auto',
  updatedAt: new Date(1_000),
  ...overrides,
});

/** UpstreamEras over a scripted upstream: `answers` are the probe answers in order; recorded eras are kept. */
function world(answers: Array<{ status: number; body?: unknown } | 'down'>) {
  const probes: string[] = [];
  const recorded: unknown[][] = [];
  const fetchImpl = (async (url: string) => {
    probes.push(url);
    const next = answers.shift() ?? 'down';
    if (next === 'down') throw new Error('ECONNREFUSED');
    return new Response(next.body === undefined ? null : JSON.stringify(next.body), { status: next.status, headers: { 'content-type': 'application/json' } });
  }) as unknown as typeof fetch;
  const eras = new UpstreamEras({
    pg: { query: async (_sql: string, params: unknown[]) => (recorded.push(params), { rows: [] }) } as unknown as Pool,
    credentials: { headers: async () => ({}) } as unknown as UpstreamCredentials,
    masterKey: Buffer.alloc(32),
    logger: { warn() {}, info() {} } as unknown as Logger,
    fetchImpl,
  });
  return { eras, probes, recorded };
}

const modern = { status: 200, body: { jsonrpc: '2.0', id: 1, result: { supportedVersions: ['2026-07-28'], capabilities: {} } } };
const legacy = { status: 400, body: { jsonrpc: '2.0', id: null, error: { code: -32000, message: 'Bad Request: Server not initialized' } } };

describe('UpstreamEras', () => {
  it('probes an auto server once, records the era, and answers later resolves from memory', async () => {
    const { eras, probes, recorded } = world([modern]);
    expect((await eras.resolve(server(), caller)).protocolVersion).toBe('2026-07-28');
    expect((await eras.resolve(server(), caller)).protocolVersion).toBe('2026-07-28');
    expect(probes).toHaveLength(1);
    expect(recorded).toEqual([['s1', '2026-07-28', new Date(1_000)]]);
  });

  it('concurrent first connects share one probe', async () => {
    const { eras, probes } = world([legacy]);
    const resolved = await Promise.all([eras.resolve(server(), caller), eras.resolve(server(), caller)]);
    expect(resolved.map((record) => record.protocolVersion)).toEqual(['2025-11-25', '2025-11-25']);
    expect(probes).toHaveLength(1);
  });

  it('a pin wins and is never probed; stdio is never probed', async () => {
    const { eras, probes } = world([]);
    expect((await eras.resolve(server({ protocolEra: '2025-11-25', protocolVersion: '2026-07-28' }), caller)).protocolVersion).toBe('2025-11-25');
    expect((await eras.resolve(server({ id: 's2', protocolEra: '2026-07-28' }), caller)).protocolVersion).toBe('2026-07-28');
    expect((await eras.resolve(server({ id: 's3', transport: 'stdio', url: null }), caller)).protocolVersion).toBeNull();
    expect(probes).toEqual([]);
  });

  it('uses an era another gateway recorded without probing', async () => {
    const { eras, probes } = world([]);
    expect((await eras.resolve(server({ protocolVersion: '2026-07-28' }), caller)).protocolVersion).toBe('2026-07-28');
    expect(probes).toEqual([]);
  });

  it('detects again after an admin update (new updated_at) and after forget, even over a recorded era', async () => {
    const { eras, probes } = world([modern, legacy, modern]);
    expect((await eras.resolve(server(), caller)).protocolVersion).toBe('2026-07-28');
    expect((await eras.resolve(server({ updatedAt: new Date(2_000) }), caller)).protocolVersion).toBe('2025-11-25');
    eras.forget(server({ updatedAt: new Date(2_000) }));
    // The directory may still hold the recorded (now doubted) era: it is not trusted until a probe replaces it.
    expect((await eras.resolve(server({ updatedAt: new Date(2_000), protocolVersion: '2025-11-25' }), caller)).protocolVersion).toBe('2026-07-28');
    expect(probes).toHaveLength(3);
  });

  it('an upstream that cannot be probed is bridged for now, not recorded, and probed again later', async () => {
    const { eras, probes, recorded } = world(['down']);
    expect((await eras.resolve(server(), caller)).protocolVersion).toBeNull();
    expect((await eras.resolve(server(), caller)).protocolVersion).toBeNull();
    expect(probes).toHaveLength(1);
    expect(recorded).toEqual([]);
  });
});
