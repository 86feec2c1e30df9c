import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminApi, BOOTSTRAP_ADMIN, clientCredentialsToken, createAdminTenantClient } from './support/admin-principals.js';
import { startAuthServerHarness, type AuthServerHarness } from './support/auth-server-harness.js';

// Tool-call arguments in audit records (issue 17): recorded by the gateway only for tenants that opt in,
// already redacted by key; through the admin API only the auditor role reads them. Tenant admins and
// platform admins see the record with `arguments: "[auditor only]"`, in pages and in the JSON-lines export.

const suffix = randomBytes(3).toString('hex');
const TENANT = `aa-${suffix}`;
const ARGUMENTS = { query: 'quarterly numbers', password: '[redacted]' };

let server: AuthServerHarness;
let root: string;

async function tokenFor(name: string, role: Record<string, unknown>): Promise<string> {
  const client = await createAdminTenantClient(server, root, `${name}-${suffix}`);
  const granted = await adminApi(server, root, 'PUT', `/role-assignments/clients/${encodeURIComponent(client.id)}`, role);
  expect(granted.status, granted.text).toBe(200);
  return clientCredentialsToken(server, client);
}

type Item = { id: string; details: Record<string, unknown> };

async function page(token: string): Promise<Item[]> {
  const answer = await adminApi(server, token, 'GET', `/tenants/${TENANT}/audit?action=mcp.tools.call`);
  expect(answer.status, answer.text).toBe(200);
  return answer.json.items as unknown as Item[];
}

async function exported(token: string): Promise<Item[]> {
  const response = await fetch(`${server.url}/admin/v1/tenants/${TENANT}/audit?action=mcp.tools.call&format=jsonl`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  return (await response.text())
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Item);
}

beforeAll(async () => {
  server = await startAuthServerHarness();
  root = await clientCredentialsToken(server, BOOTSTRAP_ADMIN);
  const tenantId = await server.createTenant(TENANT);
  // Two tool-call records as the gateway writes them: one of a tenant that records arguments, one without.
  for (const [id, details] of [
    [`with-${suffix}`, { server: 'docs', tool: 'search', toolHash: 'sha256:aa', reason: 'policy_denied', arguments: ARGUMENTS }],
    [`without-${suffix}`, { server: 'docs', tool: 'search', toolHash: 'sha256:aa' }],
  ] as const) {
    await server.db.pg.query(
      `INSERT INTO audit_events (id, tenant_id, occurred_at, actor_subject, actor_client_id, action, target, outcome, details) VALUES ($1, $2, now(), 'alice', 'ide', 'mcp.tools.call', 'docs/search', 'refused', $3)`,
      [id, tenantId, JSON.stringify(details)],
    );
  }
});
afterAll(async () => {
  await server?.close();
});

describe('audit records with call arguments', () => {
  it('shows the arguments to an auditor of the tenant, in pages and exports', async () => {
    const auditor = await tokenFor('aud', { role: 'auditor', tenants: [TENANT] });
    for (const items of [await page(auditor), await exported(auditor)]) {
      expect(items.find((item) => item.id === `with-${suffix}`)?.details).toMatchObject({ arguments: ARGUMENTS, toolHash: 'sha256:aa', reason: 'policy_denied' });
      expect(items.find((item) => item.id === `without-${suffix}`)?.details).not.toHaveProperty('arguments');
    }
  });

  it('hides them from a tenant admin and from a platform admin (the rest of the record stays)', async () => {
    const tenantAdmin = await tokenFor('ta', { role: 'tenant-admin', tenants: [TENANT] });
    for (const token of [tenantAdmin, root]) {
      for (const items of [await page(token), await exported(token)]) {
        const record = items.find((item) => item.id === `with-${suffix}`);
        expect(record?.details).toEqual({ server: 'docs', tool: 'search', toolHash: 'sha256:aa', reason: 'policy_denied', arguments: '[auditor only]' });
        expect(JSON.stringify(items)).not.toContain('quarterly numbers');
        expect(items.find((item) => item.id === `without-${suffix}`)?.details).not.toHaveProperty('arguments');
      }
    }
  });
});
