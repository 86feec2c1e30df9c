import { refusalMessage } from '@airlock/policy';
import type { CompiledCallPolicy, PolicyDecision } from '@airlock/policy';
import type { RefuseToolCall, ToolCallContext, ToolCallObserver } from './tool-call-observer.js';
import type { CallPolicyCache } from './call-policy-cache.js';

/** The audit reason of a call the tenant's policy refused. */
export const POLICY_REFUSAL_REASON = 'policy_denied';

/**
 * The tenant's call policy on every admitted tools/call (both eras, both endpoints), right before it goes
 * upstream: evaluated in process (CallPolicyCache holds the compiled policy). A refusal is a JSON-RPC error
 * (GatewayError `tool_call_refused`, -32000) whose message names the deciding rule's `@id`, or the
 * tenant's default, and never shows the policy; `data.rule` carries the id for programs.
 */
export class CallPolicyObserver implements ToolCallObserver {
  constructor(
    private readonly policies: CallPolicyCache,
    private readonly onError?: (error: unknown, call: ToolCallContext) => void,
  ) {}

  ready(call: ToolCallContext): Promise<void> | undefined {
    return this.policies.ready(call.tenant);
  }

  before(call: ToolCallContext, refuse: RefuseToolCall): void {
    const tenant = this.policies.get(call.tenant);
    if (!tenant || tenant.broken) {
      refuse(POLICY_REFUSAL_REASON, 'no rule allowed this call (the tenant call policy is unavailable)', { data: { rule: null }, details: { policyVersion: tenant?.version ?? null } });
      return;
    }
    const policy = tenant.policy;
    if (!policy) return;
    let decision;
    try {
      decision = this.evaluate(policy, call);
    } catch (error) {
      // An observer that throws vetoes nothing: the policy fails closed here instead.
      this.onError?.(error, call);
      refuse(POLICY_REFUSAL_REASON, 'no rule allowed this call (the tenant call policy could not be evaluated)', { data: { rule: null }, details: { policyVersion: policy.version } });
      return;
    }
    if (decision.allowed) {
      call.policy = { rule: decision.rule, version: policy.version };
      return;
    }
    refuse(POLICY_REFUSAL_REASON, refusalMessage(decision, policy.defaultEffect), {
      data: decision.rule === undefined ? { rule: null, default: policy.defaultEffect } : { rule: decision.rule },
      details: { policyRule: decision.rule ?? null, policyVersion: policy.version },
    });
  }

  private evaluate(policy: CompiledCallPolicy, call: ToolCallContext): PolicyDecision {
    return policy.evaluate({
      subject: call.subject ?? '',
      groups: call.groups ?? [],
      scopes: call.scopes ?? [],
      clientId: call.clientId ?? '',
      server: call.server,
      tool: call.tool,
      arguments: call.arguments,
    });
  }
}
