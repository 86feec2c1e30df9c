import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import type { DetailedError, EntityJson, StatefulAuthorizationCall } from '@cedar-policy/cedar-wasm/nodejs';
import { CALL_POLICY_SCHEMA, CALL_TOOL_ACTION } from './call-policy-schema.js';

/** What a tenant decides when no rule permits or forbids a call. */
export type DefaultEffect = 'allow' | 'deny';

/** One tools/call as the policy sees it. */
export interface PolicyRequest {
  subject: string;
  /** The token's `groups` claim. */
  groups: readonly string[];
  /** The token's granted scopes. */
  scopes: readonly string[];
  clientId: string;
  server: string;
  /** The tool's name at its upstream. */
  tool: string;
  /** The call's `arguments` (only top-level keys are visible to rules). */
  arguments?: unknown;
}

/**
 * The answer for one call. `rule`: the `@id` of the rule that decided (the first permitting rule of an
 * allowed call, the forbidding rule of a refused one); none when the tenant's default decided.
 */
export type PolicyDecision =
  | { allowed: true; rule: string | undefined }
  | { allowed: false; rule: string; reason: 'forbidden' | 'rule_error' }
  | { allowed: false; rule: undefined; reason: 'default_deny' };

/** One problem Cedar found in a policy: safe to show to the admin who wrote it (it is their own text). */
export interface PolicyDiagnostic {
  message: string;
  help?: string;
  /** The rule concerned (its `@id`, or `rule #N`), when the problem is inside one rule. */
  rule?: string;
  /** Where in the submitted text, 1-based. */
  line?: number;
  column?: number;
}

export class InvalidPolicyError extends Error {
  constructor(readonly diagnostics: PolicyDiagnostic[]) {
    super(`the call policy is invalid: ${diagnostics.map((d) => d.message).join('; ')}`);
    this.name = 'InvalidPolicyError';
  }
}

export interface CheckedPolicy {
  /** Each rule's name, in order: its `@id` annotation, or `rule #N` (1-based) without one. */
  rules: string[];
  /** The rules by name, each as its own Cedar text. */
  parts: Record<string, string>;
  /** Whether some rule reads `context` (the client or the arguments): then decisions depend on the arguments. */
  readsContext: boolean;
  /** What of the request some rule reads (the rest is not sent into Cedar: each value crossing costs). */
  reads: RequestParts;
  /** The rules that forbid (the others permit). */
  forbids: string[];
}

function location(text: string, offset: number): { line: number; column: number } {
  // Cedar reports byte offsets; the policies are read as UTF-8.
  const before = Buffer.from(text, 'utf8').subarray(0, offset).toString('utf8');
  const lines = before.split('\n');
  return { line: lines.length, column: (lines.at(-1)?.length ?? 0) + 1 };
}

function diagnosticOf(error: DetailedError, text: string | undefined, rule?: string): PolicyDiagnostic {
  // Cedar names rules by its own ids (`policy0`); the admin wrote @id names.
  const diagnostic: PolicyDiagnostic = { message: rule ? error.message.replace(/policy `policy\d+`/g, `rule "${rule}"`) : error.message };
  if (error.help) diagnostic.help = error.help;
  if (rule) diagnostic.rule = rule;
  const at = error.sourceLocations?.[0];
  if (text !== undefined && at) Object.assign(diagnostic, location(text, at.start));
  return diagnostic;
}

/**
 * What of a request the rules read, found in their JSON form: `principal.scopes`, the tool's `name` and
 * `server` attributes, and each of `context.client|arguments|numbers`. Conservative: an attribute of that
 * name anywhere counts, and `context` used any other way sends the whole context. A part left out that a
 * rule did read would be an evaluation error, which refuses (see `decide`), never allows.
 */
export interface RequestParts {
  scopes: boolean;
  toolAttributes: boolean;
  client: boolean;
  arguments: boolean;
  numbers: boolean;
}

function partsRead(conditions: string): RequestParts {
  const contextUses = conditions.split('"Var":"context"').length - 1;
  const contextAttribute = (name: string) => conditions.split(`{"Var":"context"},"attr":"${name}"`).length - 1;
  const [client, args, numbers] = [contextAttribute('client'), contextAttribute('arguments'), contextAttribute('numbers')];
  const wholeContext = contextUses > client + args + numbers;
  return {
    scopes: conditions.includes('"attr":"scopes"'),
    toolAttributes: conditions.includes('"attr":"name"') || conditions.includes('"attr":"server"'),
    client: wholeContext || client > 0,
    arguments: wholeContext || args > 0,
    numbers: wholeContext || numbers > 0,
  };
}

/** The rule name of Cedar's `policyN` (its order in the text). */
function ruleOfCedarId(rules: readonly string[], id: string): string | undefined {
  const match = /^policy(\d+)$/.exec(id);
  return match ? rules[Number(match[1])] : undefined;
}

/**
 * Parses and validates a tenant's call policy against CALL_POLICY_SCHEMA (Cedar's strict mode). Throws
 * InvalidPolicyError with every diagnostic; templates are refused (a call policy is static rules).
 */
export function checkCallPolicy(text: string): CheckedPolicy {
  const split = cedar.policySetTextToParts(text);
  if (split.type === 'failure') throw new InvalidPolicyError(split.errors.map((error) => diagnosticOf(error, text)));
  if (split.policy_templates.length > 0) throw new InvalidPolicyError([{ message: 'templates (rules with ?principal or ?resource slots) are not supported in a call policy' }]);
  const rules: string[] = [];
  const parts: Record<string, string> = {};
  const forbids: string[] = [];
  const problems: PolicyDiagnostic[] = [];
  let readsContext = false;
  const conditions: string[] = [];
  split.policies.forEach((part, index) => {
    const json = cedar.policyToJson(part);
    if (json.type === 'failure') {
      problems.push(...json.errors.map((error) => diagnosticOf(error, undefined, `rule #${index + 1}`)));
      return;
    }
    const name = json.json.annotations?.['id'] ?? `rule #${index + 1}`;
    if (name.length === 0 || name.length > 128) problems.push({ message: `rule #${index + 1}: an @id must be 1 to 128 characters` });
    else if (parts[name] !== undefined) problems.push({ message: `two rules have the id "${name}"`, rule: name });
    rules.push(name);
    parts[name] = part;
    if (json.json.effect === 'forbid') forbids.push(name);
    // Reading `context` at all is what makes a decision depend on more than who calls what.
    const text = JSON.stringify(json.json.conditions);
    conditions.push(text);
    if (text.includes('"Var":"context"')) readsContext = true;
  });
  if (problems.length > 0) throw new InvalidPolicyError(problems);
  const validation = cedar.validate({ schema: CALL_POLICY_SCHEMA, policies: { staticPolicies: text }, validationSettings: { mode: 'strict' } });
  if (validation.type === 'failure') throw new InvalidPolicyError(validation.errors.map((error) => diagnosticOf(error, text)));
  if (validation.validationErrors.length > 0) {
    throw new InvalidPolicyError(validation.validationErrors.map(({ policyId, error }) => diagnosticOf(error, text, ruleOfCedarId(rules, policyId))));
  }
  return { rules, parts, readsContext, forbids, reads: partsRead(conditions.join('\n')) };
}

/** Top-level arguments as the two tag maps of the schema (strings, and integers for comparisons). */
function argumentTags(args: unknown): { text: Record<string, string>; numbers: Record<string, number> } {
  const text: Record<string, string> = {};
  const numbers: Record<string, number> = {};
  if (typeof args !== 'object' || args === null || Array.isArray(args)) return { text, numbers };
  for (const [key, value] of Object.entries(args as Record<string, unknown>)) {
    if (typeof value === 'string') text[key] = value;
    else {
      text[key] = JSON.stringify(value) ?? 'null';
      if (typeof value === 'number' && Number.isSafeInteger(value)) numbers[key] = value;
    }
  }
  return { text, numbers };
}

let nextPolicySetId = 0;
/** Decisions remembered per compiled policy: what a repeated call costs instead of a Cedar evaluation. */
const DECISION_MEMO_MAX = 10_000;
/** Arguments longer than this (as JSON) are not worth a memo key: such calls are evaluated every time. */
const MEMO_ARGUMENTS_MAX = 2_048;

/**
 * A tenant's call policy, parsed once (Cedar's preparsed policy set, held inside the wasm module) and
 * evaluated in-process per call. Cedar decides permit/forbid; `defaultEffect` decides a call no rule
 * matched. Decisions are pure functions of the request, so they are memoised (bounded) by the request's
 * facts: the subject, groups, scopes, client, tool, and the arguments only when a rule reads `context`.
 */
export class CompiledCallPolicy {
  readonly rules: readonly string[];
  private readonly setId: string;
  private readonly readsContext: boolean;
  private readonly reads: RequestParts;
  private readonly forbids: ReadonlySet<string>;
  private readonly memo = new Map<string, PolicyDecision>();

  private constructor(
    checked: CheckedPolicy,
    readonly defaultEffect: DefaultEffect,
    readonly version: number,
  ) {
    this.rules = checked.rules;
    this.readsContext = checked.readsContext;
    this.reads = checked.reads;
    this.forbids = new Set(checked.forbids);
    // One id per compiled set: a set compiled later (a new version) never replaces one still in use.
    this.setId = `call-policy-${nextPolicySetId++}`;
    const answer = cedar.preparsePolicySet(this.setId, { staticPolicies: checked.parts });
    if (answer.type === 'failure') throw new InvalidPolicyError(answer.errors.map((error) => diagnosticOf(error, undefined)));
  }

  /** Checks then compiles; throws InvalidPolicyError. */
  static compile(text: string, defaultEffect: DefaultEffect, version = 0): CompiledCallPolicy {
    return new CompiledCallPolicy(checkCallPolicy(text), defaultEffect, version);
  }

  evaluate(request: PolicyRequest): PolicyDecision {
    const key = this.memoKey(request);
    if (key !== undefined) {
      const known = this.memo.get(key);
      if (known) return known;
    }
    const decision = this.decide(request);
    if (key !== undefined) {
      if (this.memo.size >= DECISION_MEMO_MAX) this.memo.clear();
      this.memo.set(key, decision);
    }
    return decision;
  }

  private memoKey(request: PolicyRequest): string | undefined {
    let key = `${request.subject}\u0000${request.groups.join('\u0001')}\u0000${request.scopes.join('\u0001')}\u0000${request.clientId}\u0000${request.server}\u0000${request.tool}`;
    if (this.readsContext) {
      const args = JSON.stringify(request.arguments ?? null);
      if (args.length > MEMO_ARGUMENTS_MAX) return undefined;
      key += `\u0000${args}`;
    }
    return key;
  }

  private decide(request: PolicyRequest): PolicyDecision {
    const toolId = `${request.server}/${request.tool}`;
    const { reads } = this;
    // Every value crosses into the wasm module one by one (most of an evaluation's cost): only what some
    // rule reads is sent (the request is not validated against the schema here; the rules were, when saved).
    const entities: EntityJson[] = [
      { uid: { type: 'User', id: request.subject }, attrs: reads.scopes ? { scopes: [...request.scopes] } : {}, parents: request.groups.map((group) => ({ type: 'Group', id: group })) },
      { uid: { type: 'Tool', id: toolId }, attrs: reads.toolAttributes ? { name: request.tool, server: request.server } : {}, parents: [{ type: 'Server', id: request.server }] },
    ];
    const context: StatefulAuthorizationCall['context'] = {};
    if (this.readsContext) {
      const { text, numbers } = argumentTags(request.arguments);
      if (reads.client) context['client'] = { __entity: { type: 'Client', id: request.clientId } };
      if (reads.arguments) {
        entities.push({ uid: { type: 'Arguments', id: '' }, attrs: {}, parents: [], tags: text });
        context['arguments'] = { __entity: { type: 'Arguments', id: '' } };
      }
      if (reads.numbers) {
        entities.push({ uid: { type: 'NumericArguments', id: '' }, attrs: {}, parents: [], tags: numbers });
        context['numbers'] = { __entity: { type: 'NumericArguments', id: '' } };
      }
    }
    const call: StatefulAuthorizationCall = {
      principal: { type: 'User', id: request.subject },
      action: { type: 'Action', id: CALL_TOOL_ACTION },
      resource: { type: 'Tool', id: toolId },
      context,
      preparsedPolicySetId: this.setId,
      entities,
    };
    const answer = cedar.statefulIsAuthorized(call);
    if (answer.type === 'failure') {
      // Cedar could not evaluate at all: refuse (fail closed), naming no rule.
      return { allowed: false, rule: undefined, reason: 'default_deny' };
    }
    const { decision, diagnostics } = answer.response;
    const decidedBy = diagnostics.reason[0];
    if (decision === 'deny' && decidedBy !== undefined) return { allowed: false, rule: decidedBy, reason: 'forbidden' };
    // A forbid rule that failed to evaluate (say, an argument of the wrong shape) refuses: Cedar would skip it.
    const failedForbid = diagnostics.errors.find((error) => this.forbids.has(error.policyId));
    if (failedForbid) return { allowed: false, rule: failedForbid.policyId, reason: 'rule_error' };
    if (decision === 'allow') return { allowed: true, rule: decidedBy };
    return this.defaultEffect === 'allow' ? { allowed: true, rule: undefined } : { allowed: false, rule: undefined, reason: 'default_deny' };
  }
}

/** The refusal text a client sees: names the rule, never shows the policy. */
export function refusalMessage(decision: Extract<PolicyDecision, { allowed: false }>, defaultEffect: DefaultEffect): string {
  if (decision.reason === 'default_deny') return `no rule allowed this call (tenant default: ${defaultEffect})`;
  if (decision.reason === 'rule_error') return `refused by policy rule "${decision.rule}" (the rule could not be evaluated for this call)`;
  return `refused by policy rule "${decision.rule}"`;
}
