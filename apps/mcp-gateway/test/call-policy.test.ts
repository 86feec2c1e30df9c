import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client as Client2026, StreamableHTTPClientTransport as Transport2026 } from '@modelcontextprotocol/client';
import { Client as Client2025 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as Transport2025 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { auditBatchSchema, POLICY_CHANGED_CHANNEL, Queues } from '@airlock/contracts';
import type { AuditEvent } from '@airlock/contracts';
import type { StartedApp } from '@airlock/platform';
import { startFixtureProcess, startGatewayWorld } from './support/gateway-harness.js';
import type { FixtureProcess, GatewayWorld } from './support/gateway-harness.js';

// The tenant's call policy at the gateway (issue 17): a default-deny tenant with one allow rule, in both
// client eras through the official SDK clients; refusals name the rule (or the default) and never show the
// policy; allowed and refused calls are audit records; a saved policy reaches a second replica through
// POLICY_CHANGED_CHANNEL; a group change takes effect with the next token.

async function until(probe: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

type CallTool = (name: string, args?: Record<string, unknown>) => Promise<unknown>;
interface Connected {
  callTool: CallTool;
  close(): Promise<void>;
}

/** Sends every request to `replica` (same public URL: the token's audience stays the gateway's). */
const via = (replica: StartedApp | undefined) =>
  replica
    ? async (input: string | URL | Request, init?: RequestInit) => {
        const target = new URL(input instanceof Request ? input.url : input.toString());
        target.host = new URL(replica.url).host;
        return fetch(target, init);
      }
    : undefined;

const connect = {
  async '2025-11-25'(url: string, token: string, replica?: StartedApp): Promise<Connected> {
    const client = new Client2025({ name: 'policy-test', version: '1.0.0' });
    const fetchVia = via(replica);
    await client.connect(new Transport2025(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } }, ...(fetchVia ? { fetch: fetchVia } : {}) }));
    return { callTool: (name, args = {}) => client.callTool({ name, arguments: args }).catch((error: unknown) => error), close: () => client.close() };
  },
  async '2026-07-28'(url: string, token: string, replica?: StartedApp): Promise<Connected> {
    const client = new Client2026({ name: 'policy-test', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    const fetchVia = via(replica);
    await client.connect(new Transport2026(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } }, ...(fetchVia ? { fetch: fetchVia } : {}) }));
    return { callTool: (name, args = {}) => client.callTool({ name, arguments: args }).catch((error: unknown) => error), close: () => client.close() };
  },
};

const ONE_ALLOW_RULE = `@id("eng-may-echo")
permit (principal in Group::"eng", action == Action::"call_tool", resource == Tool::"web/echo");`;

describe('call policy at the gateway', () => {
  let world: GatewayWorld;
  let fixture: FixtureProcess;
  let replicaB: StartedApp;
  const audited: AuditEvent[] = [];

  /** What the admin API does on a save: the next version, then the announcement. */
  async function savePolicy(cedar: string, defaultEffect: 'allow' | 'deny', options: { recordArguments?: boolean; redactedKeys?: string[] } = {}): Promise<void> {
    await world.db.pg.query(
      `INSERT INTO call_policies AS p (tenant_id, cedar, default_effect, version, record_arguments, redacted_keys, updated_at)
       VALUES ($1, $2, $3, 1, $4, $5, now())
       ON CONFLICT (tenant_id) DO UPDATE SET cedar = EXCLUDED.cedar, default_effect = EXCLUDED.default_effect, version = p.version + 1,
         record_arguments = EXCLUDED.record_arguments, redacted_keys = EXCLUDED.redacted_keys, updated_at = now()`,
      [world.tenantId, cedar, defaultEffect, options.recordArguments ?? false, options.redactedKeys ?? []],
    );
    await world.hot.publish(POLICY_CHANGED_CHANNEL, world.tenant);
  }

  beforeAll(async () => {
    // Refresh far beyond the test: only the event can make a replica see a new version.
    world = await startGatewayWorld({ auditFlushMs: 10, callPolicyRefreshMs: 600_000 }, {}, { logLevel: 'error' });
    fixture = await startFixtureProcess();
    await world.addUpstream({ name: 'web', transport: 'http', url: fixture.url });
    world.queues.work<unknown>(Queues.audit, async (job) => void audited.push(...auditBatchSchema.parse(job.data).events));
    replicaB = await world.startReplica();
    await savePolicy(ONE_ALLOW_RULE, 'deny', { recordArguments: true, redactedKeys: ['*token*'] });
  });
  afterAll(async () => {
    await world?.close();
    await fixture?.stop();
  });

  for (const era of ['2025-11-25', '2026-07-28'] as const) {
    for (const endpoint of ['per-server', 'aggregated'] as const) {
      it(`${era}, ${endpoint}: default deny with one allow rule: the allowed tool runs, another is refused naming the default; both audited`, async () => {
        const subject = `eng-${era}-${endpoint}`;
        const url = endpoint === 'per-server' ? world.serverUrl('web') : world.aggregatedUrl;
        const prefix = endpoint === 'per-server' ? '' : 'web__';
        const client = await connect[era](url, await world.token(url, { subject, extraClaims: { groups: ['eng'] } }));
        try {
          const allowed = (await client.callTool(`${prefix}echo`, { text: 'hi', apiToken: 'sk-123' })) as { content: unknown };
          expect(allowed).not.toBeInstanceOf(Error);
          expect(allowed.content).toEqual([{ type: 'text', text: 'hi' }]);
          const refused = await client.callTool(`${prefix}test_simple_text`);
          expect(refused).toBeInstanceOf(Error);
          const error = refused as Error & { code?: number; data?: unknown };
          expect(error.code).toBe(-32000);
          expect(error.message).toContain('no rule allowed this call (tenant default: deny)');
          expect(error.data).toEqual({ rule: null, default: 'deny' });
          // The policy's text never reaches the client.
          expect(JSON.stringify({ message: error.message, data: error.data })).not.toContain('Group::');
        } finally {
          await client.close().catch(() => undefined);
        }
        await until(() => audited.filter((record) => record.actor.subject === subject).length >= 2, 'two audit records');
        const mine = audited.filter((record) => record.actor.subject === subject);
        expect(mine.map((record) => [record.action, record.target, record.outcome, record.details['reason'] ?? null, record.details['policyRule'] ?? null])).toEqual([
          ['mcp.tools.call', 'web/echo', 'success', null, 'eng-may-echo'],
          ['mcp.tools.call', 'web/test_simple_text', 'refused', 'policy_denied', null],
        ]);
        expect(mine[0]?.actor.clientId).toBe('client-a');
        expect(mine[0]?.details['policyVersion']).toBe(1);
        // The tenant records arguments, redacted by its key patterns.
        expect(mine[0]?.details['arguments']).toEqual({ text: 'hi', apiToken: '[redacted]' });
      });
    }
  }

  it('a forbid rule is named in the refusal; the same call outside the group is refused by the default', async () => {
    await savePolicy(`${ONE_ALLOW_RULE}\n@id("no-shouting") forbid (principal, action, resource) when { context.arguments.hasTag("text") && context.arguments.getTag("text") like "*!*" };`, 'deny');
    const url = world.serverUrl('web');
    const eng = await connect['2026-07-28'](url, await world.token(url, { subject: 'forbid-eng', extraClaims: { groups: ['eng'] } }));
    const sales = await connect['2026-07-28'](url, await world.token(url, { subject: 'forbid-sales', extraClaims: { groups: ['sales'] } }));
    try {
      expect(await eng.callTool('echo', { text: 'calm' })).not.toBeInstanceOf(Error);
      const forbidden = (await eng.callTool('echo', { text: 'loud!' })) as Error & { data?: unknown };
      expect(forbidden.message).toContain('refused by policy rule "no-shouting"');
      expect(forbidden.data).toEqual({ rule: 'no-shouting' });
      expect(((await sales.callTool('echo', { text: 'calm' })) as Error).message).toContain('no rule allowed this call (tenant default: deny)');
    } finally {
      await eng.close().catch(() => undefined);
      await sales.close().catch(() => undefined);
    }
  });

  it('a saved policy reaches a second replica at its next call (no restart, no refresh interval)', async () => {
    await savePolicy(ONE_ALLOW_RULE, 'deny');
    const url = world.serverUrl('web');
    const token = await world.token(url, { subject: 'replica-user', extraClaims: { groups: ['eng'] } });
    const onB = await connect['2026-07-28'](url, token, replicaB);
    try {
      // Replica B loads and caches version N: test_simple_text refused.
      expect(await onB.callTool('test_simple_text')).toBeInstanceOf(Error);
      await savePolicy(`${ONE_ALLOW_RULE}\n@id("eng-may-read") permit (principal in Group::"eng", action, resource == Tool::"web/test_simple_text");`, 'deny');
      // The event drops B's copy; its next call loads version N+1.
      let answer: unknown;
      const deadline = Date.now() + 10_000;
      do answer = await onB.callTool('test_simple_text');
      while (answer instanceof Error && Date.now() < deadline);
      expect(answer).not.toBeInstanceOf(Error);
    } finally {
      await onB.close().catch(() => undefined);
    }
  });

  it('a group change takes effect at the next token (a live 2025-11-25 session included)', async () => {
    await savePolicy(ONE_ALLOW_RULE, 'deny');
    const url = world.serverUrl('web');
    const before = await world.token(url, { subject: 'mover' });
    const after = await world.token(url, { subject: 'mover', extraClaims: { groups: ['eng'] } });
    // A session opened with the old token, continued with the new one (same subject and client).
    let current = before;
    const client = new Client2025({ name: 'policy-test', version: '1.0.0' });
    await client.connect(
      new Transport2025(new URL(url), {
        fetch: (input, init) => {
          const headers = new Headers(init?.headers);
          headers.set('authorization', `Bearer ${current}`);
          return fetch(input, { ...init, headers });
        },
      }),
    );
    try {
      expect(((await client.callTool({ name: 'echo', arguments: { text: 'x' } }).catch((error: unknown) => error)) as Error).message).toContain('no rule allowed this call');
      current = after;
      expect(await client.callTool({ name: 'echo', arguments: { text: 'x' } })).toMatchObject({ content: [{ type: 'text', text: 'x' }] });
    } finally {
      await client.close().catch(() => undefined);
    }
  });

  it('a tenant without a policy row is default allow (existing tenants keep working)', async () => {
    await world.db.pg.query('DELETE FROM call_policies WHERE tenant_id = $1', [world.tenantId]);
    await world.hot.publish(POLICY_CHANGED_CHANNEL, world.tenant);
    const url = world.serverUrl('web');
    const client = await connect['2026-07-28'](url, await world.token(url, { subject: 'anyone' }));
    try {
      let answer: unknown;
      const deadline = Date.now() + 10_000;
      do answer = await client.callTool('test_simple_text');
      while (answer instanceof Error && Date.now() < deadline);
      expect(answer).not.toBeInstanceOf(Error);
    } finally {
      await client.close().catch(() => undefined);
    }
  });
});
