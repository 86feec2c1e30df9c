import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthServerHarness, type AuthServerHarness } from './support/auth-server-harness.js';
import { adminApi, BOOTSTRAP_ADMIN, clientCredentialsToken, createAdminTenantClient, type AdminApiAnswer } from './support/admin-principals.js';

// GET /admin/v1/metrics/tool-calls: counts of the gateway's `mcp.tools.call` audit records, seeded here
// straight into audit_events at known instants (what the session store's audit worker writes).

const suffix = randomBytes(4).toString('hex');
const A = `met-a-${suffix}`;
const B = `met-b-${suffix}`;
const C = `met-c-${suffix}`;
const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const minute = 60_000;

let h: AuthServerHarness;
let root: string;
let tenantAdminOfA: string;
let auditorOfAC: string;
let seq = 0;

type Outcome = 'success' | 'failure' | 'refused' | 'denied';
async function record(tenant: string, at: number, outcome: Outcome = 'success', action = 'mcp.tools.call'): Promise<void> {
  const tenantId = (await h.tenant(tenant)).id;
  await h.infra.pg.query(
    `INSERT INTO audit_events (id, tenant_id, occurred_at, actor_subject, actor_client_id, action, target, outcome, details)
     VALUES ($1, $2, $3, 'alice', 'app', $4, 'wiki/search', $5, '{}')`,
    [`met-${suffix}-${seq++}`, tenantId, new Date(at), action, outcome],
  );
}

const get = (bearer: string, query: string) => adminApi(h, bearer, 'GET', `/metrics/tool-calls${query}`);
const range = (from: number, to: number, extra = '') => `?from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}${extra}`;

function ok(answer: AdminApiAnswer): Record<string, unknown> & { series: Array<Record<string, unknown>>; tenants: Array<Record<string, unknown>>; totals: Record<string, number> } {
  expect(answer.status, answer.text).toBe(200);
  return answer.json as never;
}

async function tokenFor(name: string, role: Record<string, unknown>): Promise<string> {
  const client = await createAdminTenantClient(h, root, `${name}-${suffix}`);
  const granted = await adminApi(h, root, 'PUT', `/role-assignments/clients/${encodeURIComponent(client.id)}`, role);
  expect(granted.status, granted.text).toBe(200);
  return clientCredentialsToken(h, client);
}

beforeAll(async () => {
  h = await startAuthServerHarness();
  root = await clientCredentialsToken(h, BOOTSTRAP_ADMIN);
  for (const slug of [A, B, C]) expect((await adminApi(h, root, 'POST', '/tenants', { slug, displayName: slug })).status).toBe(201);
  tenantAdminOfA = await tokenFor('ta', { role: 'tenant-admin', tenants: [A] });
  auditorOfAC = await tokenFor('aud', { role: 'auditor', tenants: [A, C] });
  // Minute 0: A 2 calls (1 failure); minute 1: A 1 refused, B 3 calls (1 denied); minute 2: C 1 failure.
  await record(A, T0);
  await record(A, T0 + 59_999, 'failure');
  await record(A, T0 + minute, 'refused');
  await record(B, T0 + minute + 1);
  await record(B, T0 + minute + 2);
  await record(B, T0 + minute + 3, 'denied');
  await record(C, T0 + 2 * minute + 500, 'failure');
  // Not tool calls: never counted.
  await record(A, T0 + 10, 'success', 'admin.user.update');
  await record(B, T0 + minute, 'failure', 'mcp.session.start');
  // Outside [from, to): one just before, one exactly at `to`.
  await record(A, T0 - 1);
  await record(A, T0 + 5 * minute);
});
afterAll(async () => {
  await h?.close();
});

describe('GET /admin/v1/metrics/tool-calls', () => {
  it('gives a platform admin every bucket of the range (empty ones as zeros), the totals and the busiest tenants', async () => {
    const body = ok(await get(root, range(T0, T0 + 5 * minute, '&step=1m')));
    expect(body).toMatchObject({ from: '2026-03-01T10:00:00.000Z', to: '2026-03-01T10:05:00.000Z', step: '1m', tenant: null });
    expect(body.series).toEqual([
      { start: '2026-03-01T10:00:00.000Z', calls: 2, errors: 1, refused: 0 },
      { start: '2026-03-01T10:01:00.000Z', calls: 4, errors: 0, refused: 2 },
      { start: '2026-03-01T10:02:00.000Z', calls: 1, errors: 1, refused: 0 },
      { start: '2026-03-01T10:03:00.000Z', calls: 0, errors: 0, refused: 0 },
      { start: '2026-03-01T10:04:00.000Z', calls: 0, errors: 0, refused: 0 },
    ]);
    expect(body.totals).toEqual({ calls: 7, errors: 2, refused: 2 });
    expect(body.tenants).toEqual([
      // Equal counts: by slug.
      { tenant: A, calls: 3, errors: 1, refused: 1 },
      { tenant: B, calls: 3, errors: 0, refused: 1 },
      { tenant: C, calls: 1, errors: 1, refused: 0 },
    ]);
  });

  it('includes `from` and excludes `to`, and aligns buckets to `from`', async () => {
    const body = ok(await get(root, range(T0 - 1, T0 + 5 * minute + 1, '&step=5m&tenant=' + A)));
    // [T0-1ms, T0+5m-1ms) and [T0+5m-1ms, T0+5m+1ms): the record at T0-1 is in, the one at T0+5m in the second bucket.
    expect(body.series).toEqual([
      { start: '2026-03-01T09:59:59.999Z', calls: 4, errors: 1, refused: 1 },
      { start: '2026-03-01T10:04:59.999Z', calls: 1, errors: 0, refused: 0 },
    ]);
    const narrow = ok(await get(root, range(T0, T0 + minute, `&tenant=${A}`)));
    expect(narrow.totals).toEqual({ calls: 2, errors: 1, refused: 0 });
    expect(narrow.tenant).toBe(A);
    expect(narrow.tenants).toEqual([{ tenant: A, calls: 2, errors: 1, refused: 0 }]);
  });

  it('chooses the finest step that keeps at most 1440 buckets, and defaults to the last hour', async () => {
    expect(ok(await get(root, range(T0, T0 + 24 * 60 * minute))).series).toHaveLength(1440);
    const twoDays = ok(await get(root, range(T0, T0 + 48 * 60 * minute)));
    expect(twoDays.step).toBe('5m');
    expect(twoDays.series).toHaveLength(576);
    const month = ok(await get(root, range(T0, T0 + 31 * 24 * 60 * minute)));
    expect(month.step).toBe('1h');
    // The record at T0 + 5 min is in, the one at T0 - 1 ms is not.
    expect(month.totals).toEqual({ calls: 8, errors: 2, refused: 2 });
    // No range: the hour up to now, by the minute (the seeded records are months old).
    const recent = ok(await get(root, ''));
    expect(recent.step).toBe('1m');
    expect(recent.series).toHaveLength(60);
    expect(Date.parse(String(recent.to)) - Date.parse(String(recent.from))).toBe(60 * minute);
    expect(Math.abs(Date.parse(String(recent.to)) - Date.now())).toBeLessThan(60_000);
    await record(C, Date.now() - 5 * minute);
    expect(ok(await get(root, `?tenant=${C}`)).totals).toEqual({ calls: 1, errors: 0, refused: 0 });
  });

  it("counts a tenant admin's own tenants only, and answers another tenant as if it did not exist", async () => {
    const own = ok(await get(tenantAdminOfA, range(T0, T0 + 5 * minute)));
    expect(own.totals).toEqual({ calls: 3, errors: 1, refused: 1 });
    expect(own.tenants.map((row) => row['tenant'])).toEqual([A]);
    expect(ok(await get(tenantAdminOfA, range(T0, T0 + 5 * minute, `&tenant=${A}`))).totals.calls).toBe(3);
    const other = await get(tenantAdminOfA, range(T0, T0 + 5 * minute, `&tenant=${B}`));
    const unknown = await get(root, range(T0, T0 + 5 * minute, `&tenant=nope-${suffix}`));
    expect(other.status).toBe(404);
    expect(other.json).toEqual(unknown.json);
    expect(other.json).toEqual({ error: 'not_found', error_description: 'no such tenant' });
  });

  it('lets a scoped auditor read the sum of its tenants', async () => {
    const body = ok(await get(auditorOfAC, range(T0, T0 + 5 * minute)));
    expect(body.totals).toEqual({ calls: 4, errors: 2, refused: 1 });
    expect(body.tenants.map((row) => row['tenant'])).toEqual([A, C]);
  });

  it('refuses bad input with a 400 that names the field, and without a token with a 401', async () => {
    const cases: Array<[string, string]> = [
      [range(T0 + minute, T0), 'from: must be before to'],
      [range(T0, T0), 'from: must be before to'],
      [range(T0, T0 + 32 * 24 * 60 * minute), 'from: the range is longer than 31 days'],
      [range(T0, T0 + 48 * 60 * minute, '&step=1m'), 'step: 1m makes 2880 buckets over this range, at most 1440: choose a wider step or a shorter range'],
    ];
    for (const [query, description] of cases) {
      const answer = await get(root, query);
      expect(answer.status, query).toBe(400);
      expect(answer.json).toEqual({ error: 'invalid_request', error_description: description });
    }
    for (const [query, field] of [
      ['?from=yesterday', 'from'],
      ['?to=2026-03-01T10:00:00', 'to'],
      ['?step=2m', 'step'],
      ['?tenant=Not_A_Slug', 'tenant'],
      ['?limit=5', ''],
    ] as const) {
      const answer = await get(root, query);
      expect(answer.status, query).toBe(400);
      expect(answer.json['error']).toBe('invalid_request');
      expect(String(answer.json['error_description']), query).toMatch(field ? new RegExp(`^${field}: `) : /limit/);
    }
    const anonymous = await fetch(`${h.url}/admin/v1/metrics/tool-calls`);
    expect(anonymous.status).toBe(401);
  });
});
