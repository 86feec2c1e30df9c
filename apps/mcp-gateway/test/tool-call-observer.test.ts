import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernHttpTransport } from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyHttpTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { auditBatchSchema, Queues } from '@airlock/contracts';
import type { AuditEvent } from '@airlock/contracts';
import type { ToolCallObserver } from '../src/observe/tool-call-observer.js';
import { startFixtureProcess, startGatewayWorld } from './support/gateway-harness.js';
import { RecordingObserver } from './support/recording-observer.js';
import type { FixtureProcess, GatewayWorld } from './support/gateway-harness.js';

// Every tools/call of either client-facing era passes through the tool-call observers, refusals included:
// the audit (one observer) writes exactly one `mcp.tools.call` record per call with its outcome and
// reason, and observers registered at startup beside it see the same calls, even next to one that throws.

/** The one tool call a client makes, whatever its SDK: resolves to the result or to the error thrown. */
type CallTool = (name: string, args?: Record<string, unknown>) => Promise<{ isError?: boolean } | Error>;

interface Era {
  name: string;
  connect(world: GatewayWorld, url: string, subject: string): Promise<{ callTool: CallTool; close(): Promise<void> }>;
}

const settle = <T>(promise: Promise<T>): Promise<T | Error> => promise.catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));

const ERAS: Era[] = [
  {
    name: '2025-11-25 session (official SDK 1.x client)',
    async connect(world, url, subject) {
      const client = new LegacyClient({ name: 'observer-test', version: '1.0.0' });
      const token = await world.token(url, { subject });
      await client.connect(new LegacyHttpTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
      return { callTool: (name, args = {}) => settle(client.callTool({ name, arguments: args }) as Promise<{ isError?: boolean }>), close: () => client.close() };
    },
  },
  {
    name: '2026-07-28 stateless (official SDK 2.x client, pinned)',
    async connect(world, url, subject) {
      const client = new ModernClient({ name: 'observer-test', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
      const token = await world.token(url, { subject });
      await client.connect(new ModernHttpTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
      return { callTool: (name, args = {}) => settle(client.callTool({ name, arguments: args }) as Promise<{ isError?: boolean }>), close: () => client.close() };
    },
  },
];

const THROWING: ToolCallObserver = {
  before() {
    throw new Error('observer broke in before');
  },
  after() {
    throw new Error('observer broke in after');
  },
};

const AUDIT_OUTCOME: Record<string, string> = { result: 'success', tool_error: 'failure', error: 'failure', refused: 'refused' };

for (const era of ERAS) {
  describe(`tool-call observer, ${era.name}`, () => {
    let world: GatewayWorld;
    let fixture: FixtureProcess;
    const recorder = new RecordingObserver();
    const audited: AuditEvent[] = [];
    const subject = 'observed-user';

    beforeAll(async () => {
      // A tenant-wide limit the scenarios below stay under; the last one calls until it is reached.
      world = await startGatewayWorld({ toolCallObservers: [THROWING, recorder], perTenantPerMinute: 40, perSessionPerMinute: 1_000 }, {}, { logLevel: 'error' });
      fixture = await startFixtureProcess();
      const serverId = await world.addUpstream({ name: 'web', transport: 'http', url: fixture.url });
      await world.db.pg.query(
        `INSERT INTO tools (id, tenant_id, server_id, name, required_scopes, updated_at) VALUES (gen_random_uuid(), $1, $2, 'secret_op', ARRAY['tools:secret'], now())`,
        [world.tenantId, serverId],
      );
      world.queues.work<unknown>(Queues.audit, async (job) => void audited.push(...auditBatchSchema.parse(job.data).events));
    });
    afterAll(async () => {
      await world?.close();
      await fixture?.stop();
    });

    it('audits a result, a tool error, a scope refusal, an unknown tool and a rate-limited call once each, and a second observer sees the same calls', async () => {
      const client = await era.connect(world, world.serverUrl('web'), subject);

      const ok = await client.callTool('echo', { text: 'hi' });
      expect(ok).not.toBeInstanceOf(Error);
      const toolError = await client.callTool('test_error_handling');
      expect(toolError).toMatchObject({ isError: true });
      expect(await client.callTool('secret_op')).toBeInstanceOf(Error);
      expect(await client.callTool('no_such_tool')).toBeInstanceOf(Error);
      // The aggregated endpoint: namespaced names, one of a server that does not exist, one the server does not list.
      const aggregate = await era.connect(world, world.aggregatedUrl, 'aggregate-user');
      expect(await aggregate.callTool('web__echo', { text: 'hi' })).not.toBeInstanceOf(Error);
      expect(await aggregate.callTool('nosuch__tool')).toBeInstanceOf(Error);
      expect(await aggregate.callTool('web__no_such_tool')).toBeInstanceOf(Error);
      await aggregate.close().catch(() => undefined);
      // Calls until the tenant's limit answers 429: every call before it ran, the one refused did not.
      let ran = 0;
      let limited: Error | undefined;
      for (let i = 0; i < 60 && !limited; i++) {
        const answer = await client.callTool('test_simple_text');
        if (answer instanceof Error) limited = answer;
        else ran += 1;
      }
      expect(limited?.message).toMatch(/429|rate|Too Many/i);
      await client.close().catch(() => undefined);

      // The stop hands over every record still held: nothing can arrive after this.
      await world.gateway.close();
      await world.queues.drain(Queues.audit);
      const mine = audited.filter((record) => record.actor.subject === subject);
      const of = (target: string) => mine.filter((record) => record.target === target);
      for (const record of mine) expect(record).toMatchObject({ tenant: world.tenant, action: 'mcp.tools.call', actor: { subject, clientId: 'client-a' } });
      expect(of('web/echo')).toEqual([expect.objectContaining({ outcome: 'success', details: expect.objectContaining({ server: 'web', tool: 'echo' }) })]);
      expect(of('web/test_error_handling')).toEqual([expect.objectContaining({ outcome: 'failure' })]);
      expect(of('web/secret_op')).toEqual([expect.objectContaining({ outcome: 'refused', details: expect.objectContaining({ reason: 'insufficient_scope' }) })]);
      expect(of('web/no_such_tool')).toEqual([expect.objectContaining({ outcome: 'refused', details: expect.objectContaining({ reason: 'unknown_tool' }) })]);
      const simple = of('web/test_simple_text');
      expect(simple.filter((record) => record.outcome === 'success')).toHaveLength(ran);
      expect(simple.filter((record) => record.outcome !== 'success')).toEqual([expect.objectContaining({ outcome: 'refused', details: expect.objectContaining({ reason: 'rate_limited' }) })]);
      expect(mine).toHaveLength(4 + ran + 1);

      const aggregated = audited.filter((record) => record.actor.subject === 'aggregate-user');
      expect(aggregated.map((record) => [record.target, record.outcome, record.details['reason']]).sort()).toEqual(
        [
          ['web/echo', 'success', undefined],
          ['nosuch/tool', 'refused', 'unknown_tool'],
          ['web/no_such_tool', 'refused', 'unknown_tool'],
        ].sort(),
      );

      // The plug-in saw every call the audit recorded, with the same outcome, despite the observer before it throwing.
      const seen = recorder.afters.filter(({ call }) => call.subject === subject);
      const key = (target: string, outcome: string, reason: unknown) => `${target} ${outcome} ${String(reason ?? '')}`;
      expect(seen.map(({ call, outcome }) => key(`${call.server}/${call.tool}`, AUDIT_OUTCOME[outcome.kind]!, outcome.reason)).sort()).toEqual(
        mine.map((record) => key(record.target!, record.outcome, record.details['reason'])).sort(),
      );
      // `before` only for the calls that went upstream; refusals have only their `after`.
      expect(recorder.befores.filter((call) => call.subject === subject).map((call) => call.tool).sort()).toEqual(
        ['echo', 'test_error_handling', ...Array<string>(ran).fill('test_simple_text')].sort(),
      );
      expect(world.logs.some((line) => line.msg === 'a tool-call observer failed; the call goes on')).toBe(true);
    });
  });
}
