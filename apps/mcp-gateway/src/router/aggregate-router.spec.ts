import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors/gateway-error.js';
import { ToolCallObservers } from '../observe/tool-call-observer.js';
import type { ClientEra, ToolCallContext, ToolCallObserver, ToolCallOutcome } from '../observe/tool-call-observer.js';
import { AggregateRouter } from './aggregate-router.js';
import type { RouterUpstreams } from './aggregate-router.js';

// The one router, driven through a fake set of upstreams: what both client-facing eras share, and the
// observer seam a metric or a policy plugs into without a change to the router.

type Params = Record<string, unknown>;

/** Two upstreams, `files` (tools read, write) and `web` (tool fetch), answering after `delayMs`. */
function fakeUpstreams(delayMs = 0) {
  const sent: Array<{ server: string; method: string; params: Params | undefined }> = [];
  const tools: Record<string, string[]> = { files: ['read', 'write'], web: ['fetch'] };
  const upstreams: RouterUpstreams<null> = {
    servers: () => ['files', 'web'],
    has: (_context, server) => server in tools,
    offers: () => true,
    async send(_context, server, method, params) {
      sent.push({ server, method, params });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (method === 'tools/list') return { tools: tools[server]!.map((name) => ({ name })) };
      if (method === 'tools/call') return { content: [{ type: 'text', text: `${server}:${String(params?.['name'])}` }], isError: params?.['name'] === 'write' };
      return {};
    },
    async requireTool(_context, server, tool, shown) {
      if (!tools[server]!.includes(tool)) throw new GatewayError('unknown_tool', { message: `Unknown tool: ${shown}` });
    },
    listFailed: () => undefined,
    disabledTools: async () => new Set(),
  };
  return { upstreams, sent };
}

const open = (era: ClientEra) => (server: string, tool: string): ToolCallContext => ({
  tenant: 'acme',
  sessionId: undefined,
  subject: 'alice',
  clientId: 'cli',
  server,
  tool,
  era,
  protocolVersion: era,
  requestId: undefined,
  startedAt: Date.now(),
});

/** A tools/call latency metric: one observer, nothing else. */
class LatencyHistogram implements ToolCallObserver {
  readonly samples = new Map<string, Array<{ latencyMs: number; kind: ToolCallOutcome['kind'] }>>();
  after(call: ToolCallContext, outcome: ToolCallOutcome): void {
    const key = `${call.era} ${call.server}/${call.tool}`;
    const list = this.samples.get(key) ?? [];
    list.push({ latencyMs: outcome.latencyMs, kind: outcome.kind });
    this.samples.set(key, list);
  }
}

describe('AggregateRouter', () => {
  for (const era of ['2025-11-25', '2026-07-28'] as const) {
    it(`${era}: a latency metric is one observer: every call, routed or refused, is measured without touching the router`, async () => {
      const { upstreams } = fakeUpstreams(15);
      const metric = new LatencyHistogram();
      const router = new AggregateRouter(era, upstreams, new ToolCallObservers([metric]), 100);

      await router.route(null, 'tools/call', { name: 'files__read' }, open(era));
      await router.route(null, 'tools/call', { name: 'files__write' }, open(era));
      await router.callTool(null, 'web', { name: 'fetch' }, open(era));
      await expect(router.route(null, 'tools/call', { name: 'files__delete' }, open(era))).rejects.toMatchObject({ code: 'unknown_tool' });

      expect([...metric.samples.keys()]).toEqual([`${era} files/read`, `${era} files/write`, `${era} web/fetch`, `${era} files/delete`]);
      expect(metric.samples.get(`${era} files/read`)).toEqual([{ latencyMs: expect.any(Number), kind: 'result' }]);
      expect(metric.samples.get(`${era} files/read`)![0]!.latencyMs).toBeGreaterThanOrEqual(10);
      expect(metric.samples.get(`${era} files/write`)![0]!.kind).toBe('tool_error');
      expect(metric.samples.get(`${era} files/delete`)![0]!.kind).toBe('refused');
    });

    it(`${era}: a before hook vetoes a call: it never goes upstream, the client gets the refusal, every after sees refused with the reason`, async () => {
      const { upstreams, sent } = fakeUpstreams();
      const seen: Array<{ tool: string; outcome: ToolCallOutcome }> = [];
      const befores: string[] = [];
      const policy: ToolCallObserver = {
        before: (call, refuse) => {
          if (call.tool === 'write') refuse('policy_denied', 'Writes are not allowed for this tenant');
        },
      };
      const recorder: ToolCallObserver = {
        before: (call) => void befores.push(call.tool),
        after: (call, outcome) => void seen.push({ tool: call.tool, outcome }),
      };
      const router = new AggregateRouter(era, upstreams, new ToolCallObservers([policy, recorder]), 100);

      const refused = await router.route(null, 'tools/call', { name: 'files__write' }, open(era)).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(GatewayError);
      expect(refused).toMatchObject({ code: 'tool_call_refused', clientMessage: 'Writes are not allowed for this tenant' });
      expect(sent.filter((request) => request.method === 'tools/call')).toEqual([]);

      await router.route(null, 'tools/call', { name: 'files__read' }, open(era));
      expect(sent.filter((request) => request.method === 'tools/call').map((request) => request.params?.['name'])).toEqual(['read']);
      // The veto stops the hooks after it: the recorder's before never ran for the refused call, its after did.
      expect(befores).toEqual(['read']);
      expect(seen).toEqual([
        { tool: 'write', outcome: { kind: 'refused', reason: 'policy_denied', latencyMs: expect.any(Number) } },
        { tool: 'read', outcome: { kind: 'result', latencyMs: expect.any(Number) } },
      ]);
    });
  }

  it('routes namespaced names to their upstream in both eras, and answers an unknown prompt per era', async () => {
    for (const era of ['2025-11-25', '2026-07-28'] as const) {
      const { upstreams, sent } = fakeUpstreams();
      const router = new AggregateRouter(era, upstreams, new ToolCallObservers([]), 100);
      await router.route(null, 'prompts/get', { name: 'web__greet' }, open(era));
      expect(sent.at(-1)).toEqual({ server: 'web', method: 'prompts/get', params: { name: 'greet' } });
      const list = await router.route(null, 'tools/list', undefined, open(era));
      expect(list['tools']).toEqual([{ name: 'files__read' }, { name: 'files__write' }, { name: 'web__fetch' }]);
      await expect(router.route(null, 'prompts/get', { name: 'nosuch__greet' }, open(era))).rejects.toMatchObject({
        code: 'invalid_params',
        clientMessage: era === '2025-11-25' ? 'Unknown server: nosuch' : 'Unknown prompt: nosuch__greet',
      });
    }
  });
});
