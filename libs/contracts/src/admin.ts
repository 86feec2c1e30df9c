import { z } from 'zod';
import { JWT_BEARER_GRANT, TOKEN_EXCHANGE_GRANT_TYPE } from './id-jag.js';
import { registrationPolicySchema, tenantSlugSchema } from './tenant.js';
import { upstreamSecretsSchema } from './upstream-secrets.js';
import type { UpstreamSecrets } from './upstream-secrets.js';

// The auth server's admin API (`/admin/v1`): request bodies and list queries. Responses are plain JSON
// objects described next to each schema; lists are `{ items, nextCursor }` (see pageSchema).

/** Every list: `?limit=` (1-200, default 50) and the opaque `?cursor=` from the previous page. */
export const adminListQuerySchema = z
  .object({
    cursor: z.string().max(200).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();
export type AdminListQuery = z.infer<typeof adminListQuerySchema>;

/** A case-insensitive prefix to search by (indexed). */
const searchPrefix = z.string().trim().min(1).max(200);
const booleanQuery = z.enum(['true', 'false']).transform((value) => value === 'true');

/** `?q=` a slug or display-name prefix. */
export const adminTenantsQuerySchema = adminListQuerySchema.extend({ q: searchPrefix.optional() }).strict();
/** `?q=` an email or display-name prefix (case-insensitive); `?disabled=true|false`; `?sort=email` (default) or `created` (newest first). */
export const adminUsersQuerySchema = adminListQuerySchema
  .extend({ q: searchPrefix.optional(), disabled: booleanQuery.optional(), sort: z.enum(['email', 'created']).optional() })
  .strict();
/** `?q=` an email, display-name, client id or client-name prefix of the principal (case-insensitive). */
export const adminRoleAssignmentsQuerySchema = adminListQuerySchema.extend({ q: searchPrefix.optional() }).strict();
/** `?q=` a client id prefix; `?kind=` how it was registered (`admin`, `dynamic`, ...); `?disabled=true|false`. */
export const adminClientsQuerySchema = adminListQuerySchema
  .extend({ q: searchPrefix.optional(), kind: z.string().min(1).max(40).optional(), disabled: booleanQuery.optional() })
  .strict();
/** The body of an action route that takes no input (`{}`). */
export const emptyRequestSchema = z.object({}).strict();

const displayName = z.string().trim().min(1).max(200);
/** Access-token lifetime in seconds: one minute to one day. */
const accessTokenTtl = z.number().int().min(60).max(86_400);

export const createTenantRequestSchema = z
  .object({
    slug: tenantSlugSchema,
    displayName,
    registrationPolicy: registrationPolicySchema.default('open'),
    accessTokenTtl: accessTokenTtl.default(600),
  })
  .strict();
export type CreateTenantRequest = z.infer<typeof createTenantRequestSchema>;

/**
 * Pinned tool definitions, per tenant: `withhold` (default) leaves a tool whose definition changed out of
 * tools/list and refuses its calls until an admin approves it; `flag` serves it marked and audits it.
 * `approveNewTools`: false (default) trusts a tool's first definition (trust on first use); true holds new tools too.
 */
export const toolPinningPolicySchema = z.object({ mode: z.enum(['withhold', 'flag']), approveNewTools: z.boolean() }).strict();
export type ToolPinningPolicy = z.infer<typeof toolPinningPolicySchema>;

export const updateTenantRequestSchema = z
  .object({
    displayName: displayName.optional(),
    registrationPolicy: registrationPolicySchema.optional(),
    accessTokenTtl: accessTokenTtl.optional(),
    toolPinning: toolPinningPolicySchema.optional(),
    /** false: the login page asks only for the email and sends it to the identity provider of its domain (needs an enabled provider). */
    localPasswordsEnabled: z.boolean().optional(),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, { error: 'nothing to change' });
export type UpdateTenantRequest = z.infer<typeof updateTenantRequestSchema>;

export const setRegistrationPolicyRequestSchema = z.object({ policy: registrationPolicySchema }).strict();

export const createUserRequestSchema = z
  .object({
    email: z.email().max(320),
    password: z.string().min(8).max(1024),
    displayName: displayName.optional(),
  })
  .strict();
export type CreateUserRequest = z.infer<typeof createUserRequestSchema>;

export const updateUserRequestSchema = z
  .object({ displayName: displayName.nullable().optional(), password: z.string().min(8).max(1024).optional(), disabled: z.boolean().optional() })
  .strict()
  .refine((body) => Object.keys(body).length > 0, { error: 'nothing to change' });
export type UpdateUserRequest = z.infer<typeof updateUserRequestSchema>;

/**
 * A pre-registered client: RFC 7591 metadata (snake_case, as in dynamic registration). The same redirect
 * URI rules as dynamic registration apply; a confidential client's secret is returned once, on create.
 */
export const createClientRequestSchema = z
  .object({
    client_id: z.string().regex(/^[A-Za-z0-9._~-]{3,100}$/).optional(),
    client_name: z.string().trim().min(1).max(200),
    redirect_uris: z.array(z.string().max(2000)).max(20).default([]),
    grant_types: z.array(z.enum(['authorization_code', 'refresh_token', 'client_credentials', JWT_BEARER_GRANT, TOKEN_EXCHANGE_GRANT_TYPE])).min(1).default(['authorization_code', 'refresh_token']),
    token_endpoint_auth_method: z.enum(['none', 'client_secret_basic', 'client_secret_post']).default('client_secret_basic'),
    scope: z.string().max(2000).optional(),
    logo_uri: z.url().max(2000).optional(),
    client_uri: z.url().max(2000).optional(),
  })
  .strict();
export type CreateClientRequest = z.infer<typeof createClientRequestSchema>;

/** PATCH of a pre-registered client: disabling one revokes every token it holds and refuses it new ones. */
export const updateClientRequestSchema = z.object({ disabled: z.boolean() }).strict();
export type UpdateClientRequest = z.infer<typeof updateClientRequestSchema>;

export const upstreamTransportSchema = z.enum(['http', 'stdio']);
export const upstreamCredentialKindSchema = z.enum(['none', 'static_header', 'client_credentials', 'token_exchange', 'oauth_user']);
/** `<name>` in `/t/<tenant>/servers/<name>/mcp` and its tools' namespace. */
export const upstreamServerNameSchema = z.string().regex(/^[a-z0-9](?:[a-z0-9_-]{0,62})$/, { error: 'must be 1-63 lowercase letters, digits, dashes or underscores' });

function secretsFit(transport: z.infer<typeof upstreamTransportSchema>, kind: z.infer<typeof upstreamCredentialKindSchema>, secrets: UpstreamSecrets | null | undefined): boolean {
  if (!secrets) return true;
  if (transport === 'stdio') return 'env' in secrets;
  if (kind === 'static_header') return 'header' in secrets;
  if (kind === 'client_credentials') return 'tokenUrl' in secrets;
  if (kind === 'oauth_user') return 'oauthClient' in secrets;
  return false;
}

/**
 * A host path bound read-only into a stdio server's sandbox: absolute, normalised (no `.`/`..` segments,
 * no doubled or trailing slash), so what the admin sees is what gets bound.
 */
export const sandboxReadOnlyPathSchema = z
  .string()
  .max(1000)
  .regex(/^(\/[^/\0]+)+$/, { error: 'must be an absolute path' })
  .refine((path) => !path.split('/').some((segment) => segment === '.' || segment === '..'), { error: 'must not contain . or .. segments' });

/**
 * Which MCP era the gateway speaks to an upstream: `auto` detects it on connect (2026-07-28 `server/discover`
 * first, then a 2025-11-25 `initialize`); a revision pins it and skips detection.
 */
export const upstreamProtocolEraSchema = z.enum(['auto', '2025-11-25', '2026-07-28'], { error: 'must be auto, 2025-11-25 or 2026-07-28' });
export type UpstreamProtocolEra = z.infer<typeof upstreamProtocolEraSchema>;

const upstreamFields = {
  transport: upstreamTransportSchema,
  url: z.url({ protocol: /^https?$/ }).max(2000).nullable().optional(),
  command: z.string().min(1).max(500).nullable().optional(),
  args: z.array(z.string().max(2000)).max(100).optional(),
  credentialKind: upstreamCredentialKindSchema.optional(),
  /** Sealed under the master key (context `upstreamSecretContext`); never returned. */
  secrets: upstreamSecretsSchema.nullable().optional(),
  enabled: z.boolean().optional(),
  /** stdio: run in the bubblewrap sandbox (default true); false is an explicit opt-out. */
  sandbox: z.boolean().optional(),
  /** stdio: extra host paths the sandbox sees, read-only (e.g. where the server's package is installed). */
  readOnlyPaths: z.array(sandboxReadOnlyPathSchema).max(50).optional(),
  protocolEra: upstreamProtocolEraSchema.optional(),
};

export const createUpstreamServerRequestSchema = z
  .object({ name: upstreamServerNameSchema, ...upstreamFields })
  .strict()
  .refine((body) => (body.transport === 'http' ? Boolean(body.url) : Boolean(body.command)), { error: 'http servers need url, stdio servers need command' })
  .refine((body) => secretsFit(body.transport, body.credentialKind ?? 'none', body.secrets), {
    error: 'secrets must be {env} for stdio servers, {header} for static_header, {tokenUrl, clientId, clientSecret} for client_credentials, optionally {oauthClient} for oauth_user, and absent otherwise',
    path: ['secrets'],
  });
export type CreateUpstreamServerRequest = z.infer<typeof createUpstreamServerRequestSchema>;

export const updateUpstreamServerRequestSchema = z
  .object({ ...upstreamFields, transport: upstreamTransportSchema.optional() })
  .strict()
  .refine((body) => Object.keys(body).length > 0, { error: 'nothing to change' });
export type UpdateUpstreamServerRequest = z.infer<typeof updateUpstreamServerRequestSchema>;

/** A scope a tool requires: `mcp`, or a tenant-defined one such as `github:write`. */
export const toolScopeSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9:._-]{0,99}$/);

export const toolDefinitionSchema = z
  .object({
    name: z.string().min(1).max(128),
    title: z.string().max(200).nullable().optional(),
    description: z.string().max(4000).nullable().optional(),
    requiredScopes: z.array(toolScopeSchema).max(20).default(['mcp']),
  })
  .strict();

/** Replaces a server's tool catalogue (what consent shows and which scopes each tool needs). */
export const putToolsRequestSchema = z.object({ tools: z.array(toolDefinitionSchema).max(1000) }).strict();
export type PutToolsRequest = z.infer<typeof putToolsRequestSchema>;

/** A tool's scopes and whether it is offered (a disabled tool is absent from tools/list and refused as unknown on tools/call). */
export const setToolScopesRequestSchema = z
  .object({ requiredScopes: z.array(toolScopeSchema).max(20).optional(), enabled: z.boolean().optional() })
  .strict()
  .refine((body) => Object.keys(body).length > 0, { error: 'nothing to change' });

/** Approves the definition a gateway last saw: `hash` must be its seen hash, so nothing newer is approved unseen. */
export const approveToolRequestSchema = z.object({ hash: z.string().regex(/^[0-9a-f]{64}$/) }).strict();
export type ApproveToolRequest = z.infer<typeof approveToolRequestSchema>;

export const rotateKeysRequestSchema = z.object({}).strict();

/** An RFC 7591 initial access token for a tenant whose policy requires one: lifetime one minute to 30 days. */
export const createInitialAccessTokenRequestSchema = z.object({ expiresIn: z.number().int().min(60).max(30 * 86_400).default(86_400) }).strict();
