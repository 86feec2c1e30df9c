export { CALL_POLICY_SCHEMA, CALL_TOOL_ACTION } from './call-policy-schema.js';
export { CompiledCallPolicy, InvalidPolicyError, checkCallPolicy, refusalMessage } from './call-policy.js';
export type { CheckedPolicy, DefaultEffect, PolicyDecision, PolicyDiagnostic, PolicyRequest } from './call-policy.js';
export { DEFAULT_REDACTED_KEYS, redactArguments } from './argument-redaction.js';
