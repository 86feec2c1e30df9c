import { z } from 'zod';

// A tenant's call policy through the admin API (issue 17): Cedar rules the gateway evaluates on every
// tools/call, the default for calls no rule matches, and whether call arguments are audited.

export const callPolicyDefaultEffectSchema = z.enum(['allow', 'deny']);

/** Glob patterns (`*` any run) on argument keys whose values an audit record replaces. */
const redactedKeysSchema = z.array(z.string().min(1).max(100).regex(/^[A-Za-z0-9_.*-]+$/, 'letters, digits, _ . - and * only')).max(50);

export const callPolicySchema = z.object({
  tenant: z.string(),
  /** The Cedar text as saved (empty: no rules). */
  cedar: z.string(),
  defaultEffect: callPolicyDefaultEffectSchema,
  /** 0 before the first save; one more on every save. */
  version: z.number().int(),
  /** The rules' names in order: each one's `@id`, or `rule #N`. */
  rules: z.array(z.string()),
  recordArguments: z.boolean(),
  /** Empty: the built-in patterns (passwords, secrets, tokens, keys, credentials). */
  redactedKeys: z.array(z.string()),
  updatedBy: z.string().nullable(),
  updatedAt: z.string().nullable(),
});
export type CallPolicy = z.infer<typeof callPolicySchema>;

export const putCallPolicyRequestSchema = z
  .object({
    cedar: z.string().max(65_536),
    defaultEffect: callPolicyDefaultEffectSchema,
    recordArguments: z.boolean().optional(),
    redactedKeys: redactedKeysSchema.optional(),
    /** The version this edit was made from: a save over a newer one is refused (409). */
    expectedVersion: z.number().int().min(0).optional(),
  })
  .strict();
export type PutCallPolicyRequest = z.infer<typeof putCallPolicyRequestSchema>;

/** One problem Cedar found in a submitted policy (a 400 `invalid_request` carries them as `diagnostics`). */
export const callPolicyDiagnosticSchema = z.object({
  message: z.string(),
  help: z.string().optional(),
  rule: z.string().optional(),
  line: z.number().int().optional(),
  column: z.number().int().optional(),
});
export type CallPolicyDiagnostic = z.infer<typeof callPolicyDiagnosticSchema>;

/** A dry run: would this call be allowed? Against the saved policy, or against `cedar` (a draft) when given. */
export const evaluateCallPolicyRequestSchema = z
  .object({
    subject: z.string().min(1).max(2000),
    groups: z.array(z.string().max(256)).max(200).default([]),
    scopes: z.array(z.string().max(256)).max(200).default([]),
    clientId: z.string().min(1).max(2000),
    server: z.string().min(1).max(128),
    tool: z.string().min(1).max(128),
    arguments: z.record(z.string(), z.unknown()).optional(),
    cedar: z.string().max(65_536).optional(),
    defaultEffect: callPolicyDefaultEffectSchema.optional(),
  })
  .strict();
export type EvaluateCallPolicyRequest = z.infer<typeof evaluateCallPolicyRequestSchema>;

export const callPolicyDecisionSchema = z.object({
  allowed: z.boolean(),
  /** The deciding rule's `@id`; null when the tenant default decided. */
  rule: z.string().nullable(),
  /** What the gateway would answer a refused call (JSON-RPC error message). */
  message: z.string().nullable(),
  /** The saved version evaluated; null for a draft. */
  version: z.number().int().nullable(),
});
export type CallPolicyDecision = z.infer<typeof callPolicyDecisionSchema>;
