import type { AuditEvent } from '@airlock/contracts';
import { redactArguments } from '@airlock/policy';
import type { ToolCallContext, ToolCallObserver, ToolCallOutcome } from './tool-call-observer.js';
import { AuditRecordIds, AuditTimestamps } from './audit-record-stamps.js';

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
  private readonly ids = new AuditRecordIds();
  private readonly timestamps = new AuditTimestamps();

  constructor(
    private readonly audit: { record(event: AuditEvent): void },
    /** Whether the tenant records call arguments, and the key patterns redacted (none: arguments are never recorded). */
    private readonly argumentsOf?: (tenant: string) => { recordArguments: boolean; redactedKeys: readonly string[] } | undefined,
    /**
     * The pinned version hash of a tool, for calls refused before admission looked it up (401, 403
     * insufficient_scope, 429 at the edge): read from the catalogue's cache, so the record waits for it.
     */
    private readonly toolHashOf?: (tenant: string, server: string, tool: string) => Promise<string | undefined>,
  ) {}

  after(call: ToolCallContext, outcome: ToolCallOutcome): void {
    // An input_required round is not an outcome yet: the client's retry is the call that gets audited.
    if (outcome.kind === 'input_required') return;
    // Built field by field (no spread of throwaway objects): this runs once per tool call.
    const details: Record<string, unknown> = { server: call.server, tool: call.tool, latencyMs: outcome.latencyMs };
    if (call.toolHash !== undefined) details['toolHash'] = call.toolHash;
    if (call.sessionId) details['session'] = call.sessionId;
    if (call.protocolVersion) details['protocolVersion'] = call.protocolVersion;
    if (outcome.reason) details['reason'] = outcome.reason;
    if (outcome.details) Object.assign(details, outcome.details);
    if (call.policy) {
      details['policyRule'] = call.policy.rule ?? null;
      details['policyVersion'] = call.policy.version;
    }
    if (call.arguments !== undefined && this.argumentsOf) {
      const settings = this.argumentsOf(call.tenant);
      // Off the hot path's budget only for tenants that opted in; redacted before it leaves the process.
      if (settings?.recordArguments) details['arguments'] = redactArguments(call.arguments, settings.redactedKeys);
    }
    const event: AuditEvent = {
      id: this.ids.next(),
      tenant: call.tenant,
      occurredAt: this.timestamps.iso(Date.now()),
      actor: { subject: call.subject, clientId: call.clientId },
      action: 'mcp.tools.call',
      target: call.server ? `${call.server}/${call.tool}` : call.tool,
      outcome: AUDIT_OUTCOME[outcome.kind],
      details,
    };
    if (call.requestId) event.requestId = call.requestId;
    if (details['toolHash'] === undefined && outcome.kind === 'refused' && call.server && this.toolHashOf) {
      // Refused before admission: the version is read from the catalogue (its cache, as a rule) before the record goes.
      void this.toolHashOf(call.tenant, call.server, call.tool)
        .then((hash) => {
          if (hash !== undefined) details['toolHash'] = hash;
        })
        .catch(() => undefined)
        .finally(() => this.audit.record(event));
      return;
    }
    this.audit.record(event);
  }
}
