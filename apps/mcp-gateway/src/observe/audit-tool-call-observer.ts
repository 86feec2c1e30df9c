import { randomUUID } from 'node:crypto';
import type { AuditEvent } from '@airlock/contracts';
import type { ToolCallContext, ToolCallObserver, ToolCallOutcome } from './tool-call-observer.js';

const AUDIT_OUTCOME: Record<Exclude<ToolCallOutcome['kind'], 'input_required'>, AuditEvent['outcome']> = {
  result: 'success',
  tool_error: 'failure',
  error: 'failure',
  refused: 'refused',
};

/**
 * One `mcp.tools.call` audit record per finished call, whichever era it came in and however it ended
 * (refusals with their `reason`). Handed to the AuditBatcher: never waits, never throws.
 */
export class AuditToolCallObserver implements ToolCallObserver {
  constructor(private readonly audit: { record(event: AuditEvent): void }) {}

  after(call: ToolCallContext, outcome: ToolCallOutcome): void {
    // An input_required round is not an outcome yet: the client's retry is the call that gets audited.
    if (outcome.kind === 'input_required') return;
    this.audit.record({
      id: randomUUID(),
      tenant: call.tenant,
      occurredAt: new Date().toISOString(),
      actor: { subject: call.subject, clientId: call.clientId },
      action: 'mcp.tools.call',
      target: call.server ? `${call.server}/${call.tool}` : call.tool,
      outcome: AUDIT_OUTCOME[outcome.kind],
      ...(call.requestId ? { requestId: call.requestId } : {}),
      details: {
        server: call.server,
        tool: call.tool,
        latencyMs: outcome.latencyMs,
        ...(call.sessionId ? { session: call.sessionId } : {}),
        ...(call.protocolVersion ? { protocolVersion: call.protocolVersion } : {}),
        ...(outcome.reason ? { reason: outcome.reason } : {}),
        ...outcome.details,
      },
    });
  }
}
