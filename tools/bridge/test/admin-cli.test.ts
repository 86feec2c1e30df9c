import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@airlock/testing';
import { BOOTSTRAP_ADMIN as ADMIN } from './support/admin-and-tokens.js';
import { runAirlock, startCliAuthServer, type CliAuthServer, type CliRun as Run } from './support/admin-cli-harness.js';

// `airlock admin ...` as an operator's script runs it: the committed bin as a child process, signed in
// with the bootstrap admin client's credentials from the environment, against a real auth server (real
// Postgres/Redis when DATABASE_URL/REDIS_URL are set).

const UPSTREAM_URL = 'https://mcp.example.com/mcp';

let server: CliAuthServer;
const stderrs: string[] = [];

/** The bin, asynchronously (the auth server answers from this process's event loop). */
async function airlock(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const run = await runAirlock(args, { AIRLOCK_AUTH_URL: server.authUrl, AIRLOCK_ADMIN_CLIENT_ID: ADMIN.id, AIRLOCK_ADMIN_CLIENT_SECRET: ADMIN.secret, ...env });
  stderrs.push(run.stderr);
  return run;
}

/** One line on stderr: `airlock: <error>: <description>`. */
function expectOneErrorLine(run: Run, error: string): void {
  expect(run.stderr.split('\n').filter(Boolean), run.stderr).toHaveLength(1);
  expect(run.stderr).toMatch(new RegExp(`^airlock: ${error}: \\S.*\\n$`));
}

/** The column a header starts at in a table's first line must be where that column's cells start. */
function cellAt(table: string, header: string, rowContaining: string): string {
  const [head, ...rows] = table.trimEnd().split('\n');
  const start = head!.indexOf(header);
  expect(start, head).toBeGreaterThanOrEqual(0);
  const row = rows.find((line) => line.includes(rowContaining));
  expect(row, table).toBeDefined();
  return row!.slice(start).split(/\s{2,}/)[0]!;
}

beforeAll(async () => {
  server = await startCliAuthServer();
});

afterAll(async () => {
  await server?.close();
});

describe('airlock admin', () => {
  const tenant = `cli-${randomBytes(4).toString('hex')}`;

  it('creates a tenant and adds an http server, and lists both as JSON and as a table', async () => {
    const created = await airlock(['tenants', 'create', tenant, '--name', 'CLI Tenant', '--json']);
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ slug: tenant, displayName: 'CLI Tenant', registrationPolicy: 'open' });

    const added = await airlock(['servers', 'add', tenant, 'docs', '--url', UPSTREAM_URL]);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/^added server:\s+docs$/m);
    expect(added.stderr).toBe('');

    const tenantsJson = await airlock(['tenants', 'list', '--json', '--limit', '200']);
    expect(tenantsJson.code, tenantsJson.stderr).toBe(0);
    const tenants = JSON.parse(tenantsJson.stdout) as { items: Array<{ slug: string }>; nextCursor: string | null };
    expect(tenants.items.map((item) => item.slug)).toContain(tenant);

    const serversJson = await airlock(['servers', 'list', tenant, '--json']);
    expect(serversJson.code, serversJson.stderr).toBe(0);
    expect(JSON.parse(serversJson.stdout)).toMatchObject({ items: [{ name: 'docs', transport: 'http', url: UPSTREAM_URL, enabled: true, hasSecrets: false }], nextCursor: null });

    const tenantsTable = await airlock(['tenants', 'list', '--limit', '200']);
    expect(tenantsTable.code, tenantsTable.stderr).toBe(0);
    expect(tenantsTable.stdout).toMatch(/^SLUG {2,}NAME {2,}REGISTRATION {2,}TOKEN TTL {2,}CREATED\n/);
    expect(cellAt(tenantsTable.stdout, 'NAME', tenant)).toBe('CLI Tenant');
    expect(cellAt(tenantsTable.stdout, 'TOKEN TTL', tenant)).toBe('600s');

    const serversTable = await airlock(['servers', 'list', tenant]);
    expect(serversTable.code, serversTable.stderr).toBe(0);
    expect(serversTable.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(cellAt(serversTable.stdout, 'NAME', 'docs')).toBe('docs');
    expect(cellAt(serversTable.stdout, 'TRANSPORT', 'docs')).toBe('http');
    expect(cellAt(serversTable.stdout, 'TARGET', 'docs')).toBe(UPSTREAM_URL);
  });

  it('refuses a body that fails the route schema before sending anything, with exit 2', async () => {
    // The auth URL is a closed port: the refusal cannot have come from a server.
    const closed = `http://127.0.0.1:${await freePort()}`;
    const badSlug = await airlock(['tenants', 'create', 'Not A Slug'], { AIRLOCK_AUTH_URL: closed });
    expect(badSlug.code).toBe(2);
    expectOneErrorLine(badSlug, 'invalid_request');
    expect(badSlug.stderr).toMatch(/slug: /);
    const badUrl = await airlock(['servers', 'add', tenant, 'ftp', '--url', 'ftp://mcp.example.com/'], { AIRLOCK_AUTH_URL: closed });
    expect(badUrl.code).toBe(2);
    expectOneErrorLine(badUrl, 'invalid_request');
    const usage = await airlock(['servers', 'add', tenant, 'both', '--url', UPSTREAM_URL, '--command', 'npx']);
    expect(usage.code).toBe(2);
    expectOneErrorLine(usage, 'usage');
    // And nothing reached the server.
    const tenants = await airlock(['tenants', 'list', '--json', '--limit', '200']);
    expect((JSON.parse(tenants.stdout) as { items: Array<{ slug: string }> }).items.map((item) => item.slug)).not.toContain('not-a-slug');
  });

  it("prints an API refusal as one line and exits 1 (a duplicate tenant: the API's 409)", async () => {
    const again = await airlock(['tenants', 'create', tenant]);
    expect(again.code).toBe(1);
    expectOneErrorLine(again, 'conflict');
    const unknown = await airlock(['servers', 'list', `no-such-${tenant}`]);
    expect(unknown.code).toBe(1);
    expectOneErrorLine(unknown, 'not_found');
  });

  it('refuses wrong credentials with one line and exit 1, never echoing the secret', async () => {
    const secret = 'wrong-secret-that-must-not-be-printed';
    const refused = await airlock(['tenants', 'list'], { AIRLOCK_ADMIN_CLIENT_SECRET: secret });
    expect(refused.code).toBe(1);
    expectOneErrorLine(refused, 'invalid_client');
    expect(refused.stdout).toBe('');
    expect(refused.stderr).not.toContain(secret);
    expect(refused.stderr).not.toContain(ADMIN.secret);
  });

  it("prints a new client's secret only with --json, once, with a warning; disables a client", async () => {
    const masked = await airlock(['clients', 'create', tenant, 'Nightly job', '--grant', 'client_credentials']);
    expect(masked.code, masked.stderr).toBe(0);
    expect(masked.stdout).toMatch(/^client secret:\s+\*{8} /m);

    const shown = await airlock(['clients', 'create', tenant, 'Deploy job', '--grant', 'client_credentials', '--client-id', 'deploy-job', '--json']);
    expect(shown.code, shown.stderr).toBe(0);
    const client = JSON.parse(shown.stdout) as { client_id: string; client_secret: string };
    expect(client).toMatchObject({ client_id: 'deploy-job', client_secret: expect.any(String) });
    expect(shown.stderr).toMatch(/^airlock: warning: .*secret/);
    expect(shown.stderr).not.toContain(client.client_secret);

    const disabled = await airlock(['clients', 'disable', tenant, 'deploy-job']);
    expect(disabled.code, disabled.stderr).toBe(0);
    expect(cellAt(disabled.stdout, 'DISABLED', 'deploy-job')).toBe('yes');
    const listed = await airlock(['clients', 'list', tenant, '--json']);
    const items = (JSON.parse(listed.stdout) as { items: Array<{ client_id: string; disabled: boolean }> }).items;
    expect(items.find((item) => item.client_id === 'deploy-job')).toMatchObject({ disabled: true });
    expect(listed.stdout).not.toContain(client.client_secret);
  });

  it('makes a SCIM token (shown only with --json), lists it without the secret, and revokes it', async () => {
    const masked = await airlock(['scim-tokens', 'create', tenant]);
    expect(masked.code, masked.stderr).toBe(0);
    expect(masked.stdout).toMatch(/^token:\s+\*{8} /m);
    expect(masked.stdout).toMatch(new RegExp(`^base url:\\s+\\S+/scim/v2/t/${tenant}$`, 'm'));
    const shown = await airlock(['scim-tokens', 'create', tenant, '--json']);
    expect(shown.code, shown.stderr).toBe(0);
    const created = JSON.parse(shown.stdout) as { id: string; token: string };
    expect(created.token).toMatch(/^scim_/);
    expect(shown.stderr).toMatch(/^airlock: warning: .*SCIM token/);
    const listed = await airlock(['scim-tokens', 'list', tenant]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(cellAt(listed.stdout, 'LAST USED', created.id)).toBe('never');
    expect(listed.stdout).not.toContain(created.token);
    const revoked = await airlock(['scim-tokens', 'revoke', tenant, created.id]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect((await airlock(['scim-tokens', 'list', tenant, '--json'])).stdout).not.toContain(created.id);
    expectOneErrorLine(await airlock(['scim-tokens', 'revoke', tenant, created.id]), 'not_found');
  });

  it('manages ID-JAG trusted issuers, audiences and pre-approved clients', async () => {
    const added = await airlock(['trusted-issuers', 'add', tenant, 'https://idp.corp.example', '--jwks-uri', 'https://idp.corp.example/jwks', '--client', 'agent', '--provision-users', '--json']);
    expect(added.code, added.stderr).toBe(0);
    const issuer = JSON.parse(added.stdout) as { id: string; allowedClientIds: string[]; provisionUsers: boolean };
    expect(issuer.allowedClientIds).toEqual(['agent']);
    expect(issuer.provisionUsers).toBe(true);
    const listed = await airlock(['trusted-issuers', 'list', tenant]);
    expect(cellAt(listed.stdout, 'CLIENTS', 'https://idp.corp.example')).toBe('agent');
    const updated = await airlock(['trusted-issuers', 'update', tenant, issuer.id, '--any-client', '--disable']);
    expect(updated.code, updated.stderr).toBe(0);
    expect(cellAt(updated.stdout, 'CLIENTS', 'https://idp.corp.example')).toBe('any');
    expect(cellAt(updated.stdout, 'ENABLED', 'https://idp.corp.example')).toBe('no');
    const noProvisioning = await airlock(['trusted-issuers', 'update', tenant, issuer.id, '--no-provision-users', '--json']);
    expect(noProvisioning.code, noProvisioning.stderr).toBe(0);
    expect((JSON.parse(noProvisioning.stdout) as { provisionUsers: boolean }).provisionUsers).toBe(false);
    expectOneErrorLine(await airlock(['trusted-issuers', 'add', tenant, 'https://idp.corp.example', '--jwks-uri', 'https://idp.corp.example/jwks']), 'conflict');
    expectOneErrorLine(await airlock(['trusted-issuers', 'add', tenant, 'https://nokeys.example']), 'invalid_request');
    expect((await airlock(['trusted-issuers', 'remove', tenant, issuer.id])).code).toBe(0);

    const audience = await airlock(['id-jag-audiences', 'add', tenant, 'https://as.example/t/wiki', '--scope', 'mcp', '--json']);
    expect(audience.code, audience.stderr).toBe(0);
    expect(cellAt((await airlock(['id-jag-audiences', 'list', tenant])).stdout, 'SCOPES', 'https://as.example/t/wiki')).toBe('mcp');

    const set = await airlock(['pre-approvals', 'set', tenant, 'some-client', '--scope', 'mcp']);
    expect(set.code, set.stderr).toBe(0);
    expect(cellAt((await airlock(['pre-approvals', 'list', tenant])).stdout, 'SCOPES', 'some-client')).toBe('mcp');
    expect((await airlock(['pre-approvals', 'remove', tenant, 'some-client'])).code).toBe(0);
    expectOneErrorLine(await airlock(['pre-approvals', 'remove', tenant, 'some-client']), 'not_found');
  });

  it("lists a tenant's live sessions, refuses an ambiguous revoke, and tails the audit log oldest first; --help exits 0", async () => {
    // A live session as the session store keeps one: its durable row and its live record in the hot store.
    const tenantId = (await server.db.pg.query<{ id: string }>('SELECT id FROM tenants WHERE slug = $1', [tenant])).rows[0]!.id;
    const sessionId = `cli-session-${randomBytes(8).toString('hex')}`;
    const at = '2026-03-01T00:00:00.000Z';
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    await server.db.pg.query(
      `INSERT INTO sessions (id, tenant_id, kind, subject, client_id, upstreams, created_at, last_seen_at, idle_timeout_seconds, expires_at, state, version)
       VALUES ($1, $2, 'mcp', 'user-7', 'client-7', '[{"server":"docs"}]', $3, $3, 1800, $4, 'active', 1)`,
      [sessionId, tenantId, at, expiresAt],
    );
    const live = { id: sessionId, tenant, kind: 'mcp', subject: 'user-7', clientId: 'client-7', upstreams: [{ server: 'docs' }], createdAt: at, lastSeenAt: at, idleTimeoutSeconds: 1800, expiresAt, state: 'active', v: 1 };
    await server.hot.set(`session:${tenant}:${sessionId}`, JSON.stringify(live), { ttlMs: 600_000 });

    const table = await airlock(['sessions', 'list', tenant, '--client', 'client-7']);
    expect(table.code, table.stderr).toBe(0);
    expect(cellAt(table.stdout, 'SUBJECT', sessionId)).toBe('user-7');
    expect(cellAt(table.stdout, 'SERVERS', sessionId)).toBe('docs');
    const none = await airlock(['sessions', 'list', tenant, '--subject', 'someone-else', '--json']);
    expect(JSON.parse(none.stdout)).toEqual({ items: [], nextCursor: null });
    for (const ambiguous of [['sessions', 'revoke', tenant], ['sessions', 'revoke', tenant, sessionId, '--client', 'client-7']]) {
      const refused = await airlock(ambiguous);
      expect(refused.code, ambiguous.join(' ')).toBe(2);
      expectOneErrorLine(refused, 'usage');
    }

    const records = [
      { id: `cli-a1-${tenant}`, at: '2026-03-01T00:00:01.000Z', action: 'admin.client.create', target: 'client-7' },
      { id: `cli-a2-${tenant}`, at: '2026-03-01T00:00:02.000Z', action: 'session.revoke', target: `session:${sessionId}` },
    ];
    for (const record of records) {
      await server.db.pg.query(
        `INSERT INTO audit_events (id, tenant_id, occurred_at, actor_subject, actor_client_id, action, target, outcome, details) VALUES ($1, $2, $3, NULL, 'ops', $4, $5, 'success', '{}')`,
        [record.id, tenantId, record.at, record.action, record.target],
      );
    }
    const tail = await airlock(['audit', 'tail', tenant]);
    expect(tail.code, tail.stderr).toBe(0);
    const lines = tail.stdout.trimEnd().split('\n');
    expect(lines.at(-2)).toMatch(/^2026-03-01T00:00:01.000Z\s+success\s+admin.client.create\s+actor=ops\s+target=client-7$/);
    expect(lines.at(-1)).toContain('session.revoke');
    const jsonl = await airlock(['audit', 'tail', tenant, '--action', 'session.revoke', '--json']);
    expect(jsonl.code, jsonl.stderr).toBe(0);
    expect(jsonl.stdout.trimEnd().split('\n').map((line) => (JSON.parse(line) as { id: string }).id)).toEqual([`cli-a2-${tenant}`]);
    const help = await airlock(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: airlock admin /);
    expect(help.stdout).toMatch(/AIRLOCK_ADMIN_CLIENT_SECRET/);
    const serversHelp = await airlock(['servers', '--help']);
    expect(serversHelp.code).toBe(0);
    expect(serversHelp.stdout).toMatch(/--read-only-path/);
  });

  it('prints tool-call metrics of a tenant: totals, the tenant row and every bucket; a bad range is the API\'s 400 on one line', async () => {
    const tenantId = (await server.db.pg.query<{ id: string }>('SELECT id FROM tenants WHERE slug = $1', [tenant])).rows[0]!.id;
    for (const [index, outcome] of (['success', 'success', 'failure', 'refused'] as const).entries()) {
      await server.db.pg.query(
        `INSERT INTO audit_events (id, tenant_id, occurred_at, actor_subject, actor_client_id, action, target, outcome, details) VALUES ($1, $2, $3, 'u', 'c', 'mcp.tools.call', 'docs/search', $4, '{}')`,
        [`cli-m${index}-${tenant}`, tenantId, `2026-03-01T00:0${index}:00.000Z`, outcome],
      );
    }
    const range = ['--tenant', tenant, '--from', '2026-03-01T00:00:00Z', '--to', '2026-03-01T00:05:00Z'];
    const text = await airlock(['metrics', 'tool-calls', ...range, '--step', '1m', '--buckets']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^calls:\s+4$/m);
    expect(text.stdout).toMatch(/^errors:\s+1 \(25\.0%\)$/m);
    expect(text.stdout).toMatch(/^refused:\s+1$/m);
    expect(cellAt(text.stdout.split('\n\n')[1]!, 'CALLS', tenant)).toBe('4');
    expect(cellAt(text.stdout.split('\n\n')[2]!, 'ERRORS', '2026-03-01T00:02:00.000Z')).toBe('1');
    const json = await airlock(['metrics', 'tool-calls', ...range, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ step: '1m', tenant, totals: { calls: 4, errors: 1, refused: 1 } });
    const bad = await airlock(['metrics', 'tool-calls', '--from', '2026-03-02T00:00:00Z', '--to', '2026-03-01T00:00:00Z']);
    expect(bad.code).toBe(1);
    expectOneErrorLine(bad, 'invalid_request');
    expect(bad.stderr).toContain('from: must be before to');
  });

  it('never printed a stack trace', () => {
    expect(stderrs.length).toBeGreaterThan(10);
    for (const stderr of stderrs) expect(stderr).not.toMatch(/^\s+at |Error:|node:internal/m);
  });
});
