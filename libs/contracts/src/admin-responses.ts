import { z } from 'zod';
import { callPolicyDiagnosticSchema } from './call-policy.js';
import { registrationPolicySchema, tenantSlugSchema } from './tenant.js';
import { toolScopeSchema, upstreamCredentialKindSchema, upstreamProtocolEraSchema, upstreamServerNameSchema, upstreamTransportSchema } from './admin.js';

// What the admin API (`/admin/v1`) answers: its response bodies and its one error shape. Objects are
// open (`looseObject`): a client must ignore fields it does not know, so adding one is not a breaking
// change. Timestamps are ISO 8601 strings (JSON of a Date).

const timestamp = z.iso.datetime();

/** Every refusal of the admin API: the OAuth error shape, with a code from this list. */
export const adminErrorCodeSchema = z.enum([
  'invalid_request',
  'invalid_redirect_uri',
  'invalid_client_metadata',
  'invalid_token',
  'insufficient_scope',
  /** A valid admin token whose holder has no admin role (or is disabled). */
  'access_denied',
  /** The caller's role does not allow this operation (an auditor writing, a tenant admin managing the platform). */
  'insufficient_role',
  'not_found',
  'conflict',
  'temporarily_unavailable',
]);
export type AdminErrorCode = z.infer<typeof adminErrorCodeSchema>;

/** The status each code is answered with (RFC 6750 for the token codes). */
export const adminErrorStatus: Record<AdminErrorCode, number> = {
  invalid_request: 400,
  invalid_redirect_uri: 400,
  invalid_client_metadata: 400,
  invalid_token: 401,
  insufficient_scope: 403,
  access_denied: 403,
  insufficient_role: 403,
  not_found: 404,
  conflict: 409,
  temporarily_unavailable: 503,
};

export const adminErrorSchema = z.object({
  error: adminErrorCodeSchema,
  error_description: z.string(),
  /** A call policy Cedar refused (PUT call-policy, a draft's dry run): each problem Cedar found. */
  diagnostics: z.array(callPolicyDiagnosticSchema).optional(),
});
export type AdminErrorBody = z.infer<typeof adminErrorSchema>;

/** An unexpected failure: no detail, only the id to find it in the server's log. */
export const adminServerErrorSchema = z.object({ error: z.literal('server_error'), request_id: z.string() });

export const tenantSchema = z.looseObject({
  id: z.string(),
  slug: tenantSlugSchema,
  displayName: z.string(),
  registrationPolicy: registrationPolicySchema,
  accessTokenTtl: z.number().int(),
  /** Pinned tool definitions: what happens to a tool whose definition changed (see toolPinningPolicySchema). */
  toolPinning: z.looseObject({ mode: z.enum(['withhold', 'flag']), approveNewTools: z.boolean() }).optional(),
  /** Whether users may sign in with a local password; false: only through the tenant's identity providers. */
  localPasswordsEnabled: z.boolean(),
  createdAt: timestamp,
  updatedAt: timestamp,
});

/** A tenant with what it holds; `liveSessions` (MCP and login sessions active at the session store) on GET of one tenant only. */
export const tenantWithCountsSchema = tenantSchema.extend({
  counts: z.looseObject({ users: z.number().int(), clients: z.number().int(), servers: z.number().int(), liveSessions: z.number().int().optional() }),
});

export const registrationPolicyResponseSchema = z.looseObject({ policy: registrationPolicySchema });

export const initialAccessTokenResponseSchema = z.looseObject({
  /** Shown once. */
  initial_access_token: z.string(),
  expires_in: z.number().int(),
});

export const signingKeySchema = z.looseObject({
  kid: z.string(),
  alg: z.string(),
  state: z.enum(['active', 'next', 'retired']),
  /** When a retired key stops being published; null while it signs or is next. */
  notAfter: timestamp.nullable(),
});

export const userSchema = z.looseObject({
  id: z.string(),
  email: z.string(),
  displayName: z.string().nullable(),
  disabled: z.boolean(),
  /** False after "reset sign-in": no password signs in until an admin sets one. */
  passwordSet: z.boolean(),
  createdAt: timestamp,
});

/** What "sign out everywhere" ended: grants (with their tokens) and sessions at the session store. */
export const signOutResultSchema = z.looseObject({ grantsRevoked: z.number().int().nonnegative(), sessionsEnded: z.number().int().nonnegative().nullable() });

/** A user's standing grant to a client (its consent): revoking it ends every token issued from it. */
export const grantSchema = z.looseObject({
  grantId: z.string(),
  userId: z.string(),
  clientId: z.string(),
  scopes: z.array(z.string()),
  resource: z.string(),
  createdAt: timestamp,
  updatedAt: timestamp,
});

/** A client as the admin API shows it: its RFC 7591 metadata (never a secret) and how it was registered. */
export const clientSchema = z.looseObject({
  client_id: z.string(),
  /** `admin` (created here), `dynamic` (RFC 7591 registration) or another registration path. */
  kind: z.string(),
  disabled: z.boolean(),
  created_at: timestamp,
  /** When it last got a token (recorded at most once a minute); null: never since this was recorded. */
  last_used_at: timestamp.nullable().optional(),
  client_name: z.string().optional(),
  redirect_uris: z.array(z.string()).optional(),
  grant_types: z.array(z.string()).optional(),
  token_endpoint_auth_method: z.string().optional(),
  scope: z.string().optional(),
});

/** A client just created: its metadata and, for a confidential one, its secret (returned this once only). */
export const createdClientSchema = z.looseObject({
  client_id: z.string(),
  kind: z.literal('admin'),
  client_id_issued_at: z.number().int(),
  client_secret: z.string().optional(),
  client_secret_expires_at: z.literal(0).optional(),
});

export const toolSchema = z.looseObject({
  name: z.string(),
  title: z.string().nullable(),
  description: z.string().nullable(),
  requiredScopes: z.array(toolScopeSchema),
  /** False: the gateway hides the tool from tools/list and refuses it on tools/call as an unknown tool. */
  enabled: z.boolean(),
  /** sha256 of the approved definition (pinned tool definitions); null until a gateway first lists the tool. */
  approvedHash: z.string().nullable().optional(),
  /** The definition a gateway last saw upstream differs from the approved one: it awaits approval. */
  changed: z.boolean().optional(),
});

/**
 * One field-level difference between two tool definitions: `path` is a JSON path into the definition
 * (`description`, `inputSchema.properties.text.type`, `annotations.destructiveHint`).
 */
export const toolDefinitionDifferenceSchema = z.object({
  path: z.string(),
  change: z.enum(['added', 'removed', 'changed']),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
});
export type ToolDefinitionDifference = z.infer<typeof toolDefinitionDifferenceSchema>;

/** A tool whose definition as last seen upstream awaits an admin's approval, with what changed. */
export const pendingToolChangeSchema = z.looseObject({
  name: z.string(),
  /** `new`: never approved (the tenant holds new tools for approval); `changed`: differs from the approved one. */
  change: z.enum(['new', 'changed']),
  approvedHash: z.string().nullable(),
  approvedDefinition: z.record(z.string(), z.unknown()).nullable(),
  approvedAt: timestamp.nullable(),
  /** What `approve` takes as `hash`: the seen definition's sha256. */
  seenHash: z.string(),
  seenDefinition: z.record(z.string(), z.unknown()),
  seenAt: timestamp.nullable(),
  differences: z.array(toolDefinitionDifferenceSchema),
});
export type PendingToolChange = z.infer<typeof pendingToolChangeSchema>;

/** An upstream MCP server; its credentials are never returned (`hasSecrets` says whether it has some). */
export const upstreamServerSchema = z.looseObject({
  id: z.string(),
  name: upstreamServerNameSchema,
  transport: upstreamTransportSchema,
  url: z.string().nullable(),
  command: z.string().nullable(),
  args: z.array(z.string()),
  credentialKind: upstreamCredentialKindSchema,
  hasSecrets: z.boolean(),
  enabled: z.boolean(),
  /** stdio: runs in the bubblewrap sandbox (false: the operator opted out). */
  sandbox: z.boolean(),
  /** stdio: host paths the sandbox sees read-only besides the system. */
  readOnlyPaths: z.array(z.string()),
  /** The admin's era pin: `auto` (detected on connect) or a revision. */
  protocolEra: upstreamProtocolEraSchema,
  /** The era a gateway last detected (null: not yet, or cleared by the last update). */
  detectedProtocolVersion: z.string().nullable(),
  protocolDetectedAt: timestamp.nullable(),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export const upstreamServerWithToolsSchema = upstreamServerSchema.extend({ tools: z.array(toolSchema) });

/** A list without paging (small, bounded sets: a tenant's keys, a server's tools). */
export const itemsSchema = <T extends z.ZodType>(item: T) => z.looseObject({ items: z.array(item) });
