import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditBatchSchema, CATALOG_CHANGED_CHANNEL, POLICY_CHANGED_CHANNEL, Queues } from '@airlock/contracts';
import type { AuditEvent } from '@airlock/contracts';
import { startFixtureProcess, startGatewayWorld } from './support/gateway-harness.js';
import type { FixtureProcess, GatewayWorld } from './support/gateway-harness.js';

// Every decision on a tools/call is an audit record (issue 17): allowed, and refused for its token (401),
// its scope (403), the tenant's call policy, a withheld tool definition and the rate limit, each with the
// tenant, subject, client, server, tool, the tool's version hash, the outcome and the reason. Arguments
// are recorded only once the tenant opts in, redacted by the built-in key patterns.

const MODERN = '2026-07-28';
const envelope = { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {}, 'io.modelcontextprotocol/clientInfo': { name: 'audit-decisions', version: '1.0.0' } };

interface Answer {
  status: number;
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: unknown };
}

/** One stateless 2026-07-28 request, as a client sends it. */
async function request(url: string, token: string, method: string, params: Record<string, unknown>, name?: string): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      authorization: `Bearer ${token}`,
      'mcp-protocol-version': MODERN,
      'mcp-method': method,
      ...(name ? { 'mcp-name': name } : {}),
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { ...params, _meta: envelope } }),
  });
  const text = await response.text();
  if (response.status !== 200) return { status: response.status };
  const json = (response.headers.get('content-type')?.startsWith('text/event-stream') ? JSON.parse(text.split('\n').filter((line) => line.startsWith('data:')).at(-1)!.slice(5)) : JSON.parse(text)) as Answer;
  return { status: 200, ...(json.result ? { result: json.result } : {}), ...(json.error ? { error: json.error } : {}) };
}

const callTool = (url: string, token: string, tool: string, args: Record<string, unknown> = {}) => request(url, token, 'tools/call', { name: tool, arguments: args }, tool);

async function until<T>(probe: () => T | undefined | Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('every tools/call decision is audited with the tool version hash', () => {
  let world: GatewayWorld;
  let fixture: FixtureProcess;
  let serverId: string;
  let url: string;
  const audited: AuditEvent[] = [];
  const hashes = new Map<string, string>();
  const SUBJECT = 'auditee';

  const recordsOf = (tool: string) => audited.filter((record) => record.action === 'mcp.tools.call' && record.target === `web/${tool}`);
  const announceCatalog = () => world.hot.peer().publish(CATALOG_CHANGED_CHANNEL, JSON.stringify({ tenant: world.tenant, server: 'web' }));

  /** What every record of a decision must hold. */
  function expectDecision(record: AuditEvent | undefined, tool: string, outcome: string, reason: string | RegExp | undefined, actor: 'verified' | 'unverified' = 'verified'): void {
    expect(record, `a record for ${tool}`).toBeDefined();
    expect(record).toMatchObject({ tenant: world.tenant, action: 'mcp.tools.call', target: `web/${tool}`, outcome });
    expect(record!.actor).toEqual(actor === 'verified' ? { subject: SUBJECT, clientId: 'client-a' } : {});
    expect(record!.details).toMatchObject({ server: 'web', tool, toolHash: hashes.get(tool) });
    expect(hashes.get(tool)).toMatch(/^[0-9a-f]{64}$/);
    if (reason === undefined) expect(record!.details['reason']).toBeUndefined();
    else expect(String(record!.details['reason'])).toMatch(reason);
  }

  beforeAll(async () => {
    // A tenant-wide limit the first calls stay under; the last test calls until it is reached.
    world = await startGatewayWorld({ auditFlushMs: 10, callPolicyRefreshMs: 600_000, perTenantPerMinute: 60, perSessionPerMinute: 1_000 }, {}, { logLevel: 'error' });
    fixture = await startFixtureProcess();
    serverId = await world.addUpstream({ name: 'web', transport: 'http', url: fixture.url });
    world.queues.work<unknown>(Queues.audit, async (job) => void audited.push(...auditBatchSchema.parse(job.data).events));
    url = world.serverUrl('web');
    // The first list pins every tool (trust on first use, written off the request path).
    const lister = await world.token(url, { subject: SUBJECT });
    let cursor: string | undefined;
    do {
      const listed = await request(url, lister, 'tools/list', cursor ? { cursor } : {});
      expect(listed.status).toBe(200);
      cursor = listed.result?.['nextCursor'] as string | undefined;
    } while (cursor);
    const used = ['echo', 'test_embedded_resource', 'test_simple_text', 'test_image_content', 'test_audio_content'];
    const rows = await until(async () => {
      const { rows } = await world.db.pg.query<{ name: string; seen_hash: string }>('SELECT name, seen_hash FROM tools WHERE server_id = $1 AND name = ANY($2) AND seen_hash IS NOT NULL', [serverId, used]);
      return rows.length === used.length ? rows : undefined;
    }, 'the pins of the listed tools');
    for (const row of rows) hashes.set(row.name, row.seen_hash);
  });
  afterAll(async () => {
    await world?.close();
    await fixture?.stop();
  });

  it('an allowed call: success, with the hash of the definition it reached; no arguments while the tenant has not opted in', async () => {
    const answer = await callTool(url, await world.token(url, { subject: SUBJECT }), 'echo', { text: 'hi', password: 'hunter2' });
    expect(answer.result?.['content']).toEqual([{ type: 'text', text: 'hi' }]);
    const record = await until(() => recordsOf('echo')[0], 'the echo record');
    expectDecision(record, 'echo', 'success', undefined);
    expect(record.details).not.toHaveProperty('arguments');
  });

  it('refused for its token (401): tenant, server, tool and hash; no subject or client (the token was not verified)', async () => {
    const expired = await world.token(url, { subject: SUBJECT, expiresInSeconds: -120 });
    expect((await callTool(url, expired, 'echo', { text: 'late' })).status).toBe(401);
    const record = await until(() => recordsOf('echo').find((candidate) => candidate.outcome === 'refused'), 'the 401 record');
    expectDecision(record, 'echo', 'refused', /token|unauthorized/, 'unverified');
  });

  it('refused for its scope (403 insufficient_scope)', async () => {
    expect((await world.db.pg.query(`UPDATE tools SET required_scopes = ARRAY['tools:secret'] WHERE server_id = $1 AND name = 'test_embedded_resource'`, [serverId])).rowCount).toBe(1);
    await announceCatalog();
    const token = await world.token(url, { subject: SUBJECT });
    await until(async () => ((await callTool(url, token, 'test_embedded_resource')).status === 403 ? true : undefined), 'the scope to apply');
    const record = await until(() => recordsOf('test_embedded_resource').find((candidate) => candidate.outcome === 'refused'), 'the 403 record');
    expectDecision(record, 'test_embedded_resource', 'refused', /^insufficient_scope$/);
  });

  it("refused by the tenant's call policy (default deny), and allowed calls then record their arguments, redacted by the built-in patterns", async () => {
    await world.db.pg.query(
      `INSERT INTO call_policies (tenant_id, cedar, default_effect, version, record_arguments, redacted_keys, updated_at) VALUES ($1, $2, 'deny', 1, true, '{}', now())`,
      [world.tenantId, `@id("all-but-simple") permit (principal, action == Action::"call_tool", resource) unless { resource == Tool::"web/test_simple_text" };`],
    );
    await world.hot.peer().publish(POLICY_CHANGED_CHANNEL, world.tenant);
    const token = await world.token(url, { subject: SUBJECT });
    const refused = await until(async () => {
      const answer = await callTool(url, token, 'test_simple_text');
      return answer.error ? answer : undefined;
    }, 'the policy to apply');
    expect(refused.error).toMatchObject({ code: -32000, data: { rule: null, default: 'deny' } });
    const record = await until(() => recordsOf('test_simple_text').find((candidate) => candidate.outcome === 'refused'), 'the policy record');
    expectDecision(record, 'test_simple_text', 'refused', /^policy_denied$/);
    expect(record.details).toMatchObject({ policyRule: null, policyVersion: 1, arguments: {} });

    expect((await callTool(url, token, 'echo', { text: 'again', password: 'hunter2', apiKey: 'k-1', headers: { Authorization: 'Bearer x' } })).result).toBeDefined();
    const allowed = await until(() => recordsOf('echo').find((candidate) => candidate.details['policyRule'] === 'all-but-simple'), 'the allowed record under the policy');
    expectDecision(allowed, 'echo', 'success', undefined);
    expect(allowed.details['arguments']).toEqual({ text: 'again', password: '[redacted]', apiKey: '[redacted]', headers: { Authorization: '[redacted]' } });
    expect(JSON.stringify(audited)).not.toContain('hunter2');
  });

  it('refused because its definition changed and awaits approval (withheld)', async () => {
    // An approval of another definition than the one the upstream lists: the listed one awaits approval.
    expect((await world.db.pg.query(`UPDATE tools SET approved_hash = '${'0'.repeat(64)}' WHERE server_id = $1 AND name = 'test_image_content'`, [serverId])).rowCount).toBe(1);
    await announceCatalog();
    const token = await world.token(url, { subject: SUBJECT });
    const withheld = await until(async () => {
      const answer = await callTool(url, token, 'test_image_content');
      return answer.error ? answer : undefined;
    }, 'the tool to be withheld');
    expect(withheld.error).toMatchObject({ code: -32000, data: { reason: 'tool_definition_changed' } });
    const record = await until(() => recordsOf('test_image_content').find((candidate) => candidate.outcome === 'refused'), 'the withheld record');
    expectDecision(record, 'test_image_content', 'refused', /^tool_withheld$/);
  });

  it('refused by the rate limit (429)', async () => {
    const token = await world.token(url, { subject: SUBJECT });
    let limited: Answer | undefined;
    for (let i = 0; i < 80 && !limited; i++) {
      const answer = await callTool(url, token, 'test_audio_content');
      if (answer.status === 429) limited = answer;
      else expect(answer.result, JSON.stringify(answer)).toBeDefined();
    }
    expect(limited?.status).toBe(429);
    const record = await until(() => recordsOf('test_audio_content').find((candidate) => candidate.outcome === 'refused'), 'the 429 record');
    expectDecision(record, 'test_audio_content', 'refused', /^rate_limited$/);
    // The calls before the limit: allowed, each with the hash.
    for (const ran of recordsOf('test_audio_content').filter((candidate) => candidate.outcome === 'success')) expectDecision(ran, 'test_audio_content', 'success', undefined);
  });
});
