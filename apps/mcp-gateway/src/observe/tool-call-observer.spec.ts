import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '@airlock/contracts';
import { auditEventSchema } from '@airlock/contracts';
import { GatewayError } from '../errors/gateway-error.js';
import { AuditToolCallObserver } from './audit-tool-call-observer.js';
import { ToolCallObservers, failureOutcome, refusalOutcome, resultOutcome } from './tool-call-observer.js';
import { toolTarget } from '../router/namespacing.js';
import type { ToolCallContext, ToolCallObserver, ToolCallOutcome } from './tool-call-observer.js';

const call: ToolCallContext = {
  tenant: 'acme',
  sessionId: 'session-1',
  subject: 'alice',
  clientId: 'client-a',
  server: 'web',
  tool: 'echo',
  era: '2025-11-25',
  protocolVersion: '2025-11-25',
  requestId: 'req-1',
  startedAt: Date.now(),
};

describe('ToolCallObservers', () => {
  it('reports an observer that throws and still lets every other observer see the call', () => {
    const seen: string[] = [];
    const failures: unknown[] = [];
    const throwing: ToolCallObserver = {
      before: () => {
        throw new Error('broken before');
      },
      after: () => {
        throw new Error('broken after');
      },
    };
    const recording: ToolCallObserver = {
      before: (c) => seen.push(`before ${c.tool}`),
      after: (c, outcome) => seen.push(`after ${c.tool} ${outcome.kind}`),
    };
    const observers = new ToolCallObservers([throwing, recording], (error) => failures.push(error));
    expect(() => observers.before(call)).not.toThrow();
    expect(() => observers.after(call, { kind: 'result', latencyMs: 1 })).not.toThrow();
    expect(seen).toEqual(['before echo', 'after echo result']);
    expect(failures.map((error) => (error as Error).message)).toEqual(['broken before', 'broken after']);
  });

  it('calls only the hooks an observer has', () => {
    const afters: ToolCallOutcome[] = [];
    const observers = new ToolCallObservers([{ after: (_c, outcome) => afters.push(outcome) }]);
    observers.before(call);
    observers.after(call, { kind: 'refused', reason: 'rate_limited', latencyMs: 0 });
    expect(afters).toEqual([{ kind: 'refused', reason: 'rate_limited', latencyMs: 0 }]);
  });
});

describe('tool-call outcomes', () => {
  it('calls a GatewayError before the upstream a refusal with its code, and any failure after it an error', () => {
    expect(refusalOutcome(new GatewayError('insufficient_scope'), Date.now())).toMatchObject({ kind: 'refused', reason: 'insufficient_scope' });
    expect(refusalOutcome(new GatewayError('unknown_tool'), Date.now())).toMatchObject({ kind: 'refused', reason: 'unknown_tool' });
    expect(refusalOutcome(new Error('the upstream failed tools/list'), Date.now())).toEqual({ kind: 'error', latencyMs: expect.any(Number) });
    expect(failureOutcome(new GatewayError('upstream_unavailable'), Date.now())).toMatchObject({ kind: 'error', reason: 'upstream_unavailable' });
    expect(failureOutcome(new Error('socket hang up'), Date.now())).toEqual({ kind: 'error', latencyMs: expect.any(Number) });
    expect(resultOutcome({ isError: true }, Date.now()).kind).toBe('tool_error');
    expect(resultOutcome({ content: [] }, Date.now()).kind).toBe('result');
  });

  it('resolves the aggregate name to its server and keeps a name it cannot resolve whole', () => {
    expect(toolTarget('web', 'files__read')).toEqual({ server: 'web', tool: 'files__read' });
    expect(toolTarget(undefined, 'files__read')).toEqual({ server: 'files', tool: 'read' });
    expect(toolTarget(undefined, 'read')).toEqual({ server: '', tool: 'read' });
  });
});

describe('AuditToolCallObserver', () => {
  it('builds one mcp.tools.call record the audit contract accepts, refusals with their reason', () => {
    const records: AuditEvent[] = [];
    const audit = new AuditToolCallObserver({ record: (event) => records.push(event) });
    audit.after(call, { kind: 'refused', reason: 'rate_limited', latencyMs: 0 });
    audit.after(call, { kind: 'input_required', latencyMs: 3 });
    expect(records).toHaveLength(1);
    expect(auditEventSchema.parse(records[0])).toMatchObject({
      tenant: 'acme',
      action: 'mcp.tools.call',
      target: 'web/echo',
      outcome: 'refused',
      requestId: 'req-1',
      actor: { subject: 'alice', clientId: 'client-a' },
      details: { server: 'web', tool: 'echo', latencyMs: 0, session: 'session-1', reason: 'rate_limited' },
    });
  });
});
