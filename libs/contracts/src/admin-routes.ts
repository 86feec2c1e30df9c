import { z } from 'zod';
import {
  adminClientsQuerySchema,
  adminListQuerySchema,
  adminRoleAssignmentsQuerySchema,
  adminTenantsQuerySchema,
  adminUsersQuerySchema,
  emptyRequestSchema,
  createClientRequestSchema,
  createInitialAccessTokenRequestSchema,
  createTenantRequestSchema,
  createUpstreamServerRequestSchema,
  createUserRequestSchema,
  putToolsRequestSchema,
  approveToolRequestSchema,
  rotateKeysRequestSchema,
  setRegistrationPolicyRequestSchema,
  setToolScopesRequestSchema,
  updateClientRequestSchema,
  updateTenantRequestSchema,
  updateUpstreamServerRequestSchema,
  updateUserRequestSchema,
  upstreamServerNameSchema,
} from './admin.js';
import {
  clientSchema,
  createdClientSchema,
  grantSchema,
  initialAccessTokenResponseSchema,
  signOutResultSchema,
  tenantWithCountsSchema,
  itemsSchema,
  registrationPolicyResponseSchema,
  signingKeySchema,
  tenantSchema,
  toolSchema,
  pendingToolChangeSchema,
  upstreamServerSchema,
  upstreamServerWithToolsSchema,
  userSchema,
  type AdminErrorCode,
} from './admin-responses.js';
import {
  type AdminRole,
  adminClientParamsSchema,
  adminRoleSchema,
  adminPrincipalParamsSchema,
  adminUserParamsSchema,
  createAdminClientRequestSchema,
  createAdminUserRequestSchema,
  enrollAdminTotpRequestSchema,
  putRoleAssignmentRequestSchema,
  roleAssignmentSchema,
  totpEnrollmentResponseSchema,
  updateAdminClientRequestSchema,
  updateAdminUserRequestSchema,
} from './admin-roles.js';
import { toolCallMetricsQuerySchema, toolCallMetricsSchema } from './admin-metrics.js';
import { auditOutcomeSchema } from './audit.js';
import { callPolicyDecisionSchema, callPolicySchema, evaluateCallPolicyRequestSchema, putCallPolicyRequestSchema } from './call-policy.js';
import {
  createIdJagAudienceRequestSchema,
  createTrustedIssuerRequestSchema,
  idJagAudienceSchema,
  preApprovalSchema,
  putPreApprovalRequestSchema,
  trustedIssuerSchema,
  updateIdJagAudienceRequestSchema,
  updateTrustedIssuerRequestSchema,
} from './id-jag.js';
import {
  createGroupMappingRequestSchema,
  createIdentityProviderRequestSchema,
  groupMappingSchema,
  identityProviderSchema,
  identityProviderSlugSchema,
  updateGroupMappingRequestSchema,
  updateIdentityProviderRequestSchema,
} from './identity-providers.js';
import { createdScimTokenSchema, scimTokenSchema } from './scim.js';
import { upstreamTestResultSchema } from './upstream-test.js';
import { pageSchema, sessionIdSchema } from './session.js';
import { tenantSlugSchema } from './tenant.js';

// The admin API's one route table. The auth server's controller takes each route's method, path and
// status from here, validates with the schemas named here, and its OpenAPI document is generated from
// here; at boot the server refuses to start with a route under /admin/ that has no entry (so a route
// cannot exist without its schema).

export const ADMIN_API_PREFIX = '/admin/v1';

export type AdminRouteMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface AdminRouteDefinition {
  /** Unique, also the OpenAPI operationId. */
  operationId: string;
  method: AdminRouteMethod;
  /** Below ADMIN_API_PREFIX, OpenAPI style: `/tenants/{tenant}`. Every `{name}` has a `params` entry. */
  path: string;
  summary: string;
  description?: string;
  /** The OpenAPI tag (the resource). */
  tag: string;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** Success status. */
  status: 200 | 201 | 204;
  /** The success body; none for 204. */
  response?: z.ZodType;
  /** Refusals this route gives beyond those every route of its kind gives (auth, validation, not found). */
  errors?: readonly AdminErrorCode[];
  /** Served without a token (the API's own description). */
  public?: boolean;
  /**
   * Who may call it, where the default is not right. Default: a route with `{tenant}` is for every role
   * holding that tenant (auditors: GET only), any other route for platform admins only.
   * `any-role`: every admin (the handler narrows to the caller's tenants); `platform`: platform admins only;
   * `platform-read`: platform admins, and auditors of every tenant (GET only).
   */
  access?: 'any-role' | 'platform' | 'platform-read';
}

/** Checks a route's shape where it is written (params match the path, a 204 has no body, a body route is no GET). */
export function defineAdminRoute<const R extends AdminRouteDefinition>(route: R): R {
  const inPath = [...route.path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]).sort();
  const declared = Object.keys(route.params?.shape ?? {}).sort();
  if (inPath.join() !== declared.join()) throw new Error(`admin route ${route.operationId}: path parameters [${inPath.join()}] but params [${declared.join()}]`);
  if ((route.status === 204) !== (route.response === undefined)) throw new Error(`admin route ${route.operationId}: a response schema exactly when the status is not 204`);
  if (route.body && route.method === 'GET') throw new Error(`admin route ${route.operationId}: a GET takes no body`);
  return route;
}

/** Who may call a route: its `access`, else `tenant` for a route with `{tenant}`, `platform` for any other. */
export function adminRouteAccess(route: Pick<AdminRouteDefinition, 'path' | 'access'>): 'any-role' | 'platform' | 'platform-read' | 'tenant' {
  return route.access ?? (route.path.includes('{tenant}') ? 'tenant' : 'platform');
}

/** The roles that may call a route (auditors read only); a `tenant` route only for the tenants the caller holds. */
export function adminRouteRoles(route: Pick<AdminRouteDefinition, 'path' | 'access' | 'method'>): AdminRole[] {
  const access = adminRouteAccess(route);
  if (access === 'platform') return ['platform-admin'];
  if (access === 'platform-read') return ['platform-admin', 'auditor'];
  return route.method === 'GET' ? ['platform-admin', 'tenant-admin', 'auditor'] : ['platform-admin', 'tenant-admin'];
}

/** The Fastify/Nest spelling of a route's path, prefix included: `/admin/v1/tenants/:tenant`. */
export function adminRouteUrl(route: Pick<AdminRouteDefinition, 'path'>): string {
  return `${ADMIN_API_PREFIX}${route.path.replace(/\{([^}]+)\}/g, ':$1')}`;
}

const tenantParams = z.object({ tenant: tenantSlugSchema });
const userParams = tenantParams.extend({ id: z.uuid() });
const clientParams = tenantParams.extend({ clientId: z.string().min(1).max(2000) });
const serverParams = tenantParams.extend({ name: upstreamServerNameSchema });
const toolParams = serverParams.extend({ tool: z.string().min(1).max(128) });
const sessionParams = tenantParams.extend({ sessionId: sessionIdSchema });
const userGrantParams = userParams.extend({ grantId: z.string().min(1).max(200) });
const trustedIssuerParams = tenantParams.extend({ id: z.uuid() });
const idJagAudienceParams = tenantParams.extend({ id: z.uuid() });
const identityProviderParams = tenantParams.extend({ provider: identityProviderSlugSchema });
const groupMappingParams = tenantParams.extend({ id: z.uuid() });

/** `?providerId=` the mappings of one provider (and those of every provider, which count for it too); `?q=` a group-name prefix. */
export const adminGroupMappingsQuerySchema = adminListQuerySchema
  .extend({ providerId: z.uuid().optional(), q: z.string().min(1).max(256).optional() })
  .strict();

/** `?subject=` narrows a login-session list to one user. */
export const adminLoginSessionsQuerySchema = adminListQuerySchema.extend({ subject: z.string().min(1).max(2000).optional() }).strict();
/** A browser sign-in, live at the session store. */
export const adminLoginSessionSchema = z.object({
  id: z.string(),
  subject: z.string(),
  /** The client the user signed in for (the auth server's own id for a sign-in at the account page). */
  clientId: z.string(),
  createdAt: z.string(),
  lastSeenAt: z.string(),
  expiresAt: z.string(),
});

/** How a session list is ordered: by start or by last activity, `-` for newest first. */
export const adminSessionSortSchema = z.enum(['created', '-created', 'last_seen', '-last_seen']);
/**
 * `?client=&subject=` narrow a session list (both: sessions matching both); `?sort=` orders it (default
 * `created`, oldest first). A cursor belongs to the sort it came with.
 */
export const adminSessionsQuerySchema = adminListQuerySchema
  .extend({ client: z.string().min(1).max(2000).optional(), subject: z.string().min(1).max(2000).optional(), sort: adminSessionSortSchema.optional() })
  .strict();
/** A live MCP session as the admin API shows it: who, which client, which endpoints, since when. */
export const adminSessionSchema = z.object({
  id: z.string(),
  subject: z.string(),
  clientId: z.string(),
  /** The upstream servers it is bound to (one for a server endpoint, several for the aggregated one). */
  servers: z.array(z.string()),
  protocolVersion: z.string().nullable(),
  createdAt: z.string(),
  lastSeenAt: z.string(),
  expiresAt: z.string(),
});
/** Bulk revoke: the listed sessions (`ids`, up to 200), or every live session of a client, of a subject, or of both together. */
export const adminRevokeSessionsRequestSchema = z
  .object({ ids: z.array(sessionIdSchema).min(1).max(200).optional(), client: z.string().min(1).max(2000).optional(), subject: z.string().min(1).max(2000).optional() })
  .strict()
  .refine((body) => (body.ids !== undefined) !== (body.client !== undefined || body.subject !== undefined), { error: 'give ids, or client and/or subject (not both kinds)' });
/** Audit log filters: a time window (`from` inclusive, `to` exclusive), who, on whom, what, how it ended; `format=jsonl` exports. */
export const adminAuditQuerySchema = adminListQuerySchema
  .extend({
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    actor: z.string().min(1).max(2000).optional(),
    subject: z.string().min(1).max(2000).optional(),
    client: z.string().min(1).max(2000).optional(),
    action: z.string().min(1).max(200).optional(),
    outcome: auditOutcomeSchema.optional(),
    format: z.enum(['json', 'jsonl']).optional(),
  })
  .strict();
export const adminAuditRecordSchema = z.object({
  id: z.string(),
  occurredAt: z.string(),
  actor: z.object({ subject: z.string().optional(), clientId: z.string().optional() }),
  action: z.string(),
  target: z.string().nullable(),
  outcome: auditOutcomeSchema,
  requestId: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});
/** Who the caller is, as the admin API sees it: what a console shows and enables. */
export const adminMeSchema = z.object({
  clientId: z.string(),
  subject: z.string(),
  role: adminRoleSchema,
  /** Every tenant, or these slugs. */
  tenants: z.union([z.literal('all'), z.array(z.string())]),
  breakGlass: z.boolean(),
});
/** How many live sessions were ended; with `ids`, the listed ones that were not live in the tenant (nothing to end). */
export const adminRevokeSessionsResponseSchema = z.object({ revoked: z.number().int().nonnegative(), notLive: z.array(z.string()).optional() });

/** The OpenAPI document itself: an open object (its schema is OpenAPI 3.1's own). */
const openApiDocumentSchema = z.looseObject({ openapi: z.string(), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.unknown()) });

export const adminRoutes = {
  openApiDocument: defineAdminRoute({
    operationId: 'getOpenApiDocument',
    method: 'GET',
    path: '/openapi.json',
    tag: 'meta',
    summary: 'This document',
    description: 'Public: it describes the API, and holds no tenant data or secret.',
    status: 200,
    response: openApiDocumentSchema,
    public: true,
  }),

  me: defineAdminRoute({
    operationId: 'getMe',
    method: 'GET',
    path: '/me',
    tag: 'meta',
    summary: 'Who the caller is: its client, subject, role and tenants',
    description: 'Every role. What a console uses to decide what to show and enable.',
    status: 200,
    response: adminMeSchema,
    access: 'any-role',
  }),

  // Tenants
  listTenants: defineAdminRoute({
    operationId: 'listTenants',
    method: 'GET',
    path: '/tenants',
    tag: 'tenants',
    summary: 'List tenants with their counts of users, clients and servers',
    description: 'By slug; `?q=` a slug or display-name prefix. Every role; a tenant admin or scoped auditor sees its own tenants only.',
    query: adminTenantsQuerySchema,
    status: 200,
    response: pageSchema(tenantWithCountsSchema),
    access: 'any-role',
  }),
  createTenant: defineAdminRoute({
    operationId: 'createTenant',
    method: 'POST',
    path: '/tenants',
    tag: 'tenants',
    summary: 'Create a tenant (with its signing keys)',
    body: createTenantRequestSchema,
    status: 201,
    response: tenantSchema,
    errors: ['conflict'],
  }),
  getTenant: defineAdminRoute({ operationId: 'getTenant', method: 'GET', path: '/tenants/{tenant}', tag: 'tenants', summary: 'Get a tenant with its counts (live sessions included)', params: tenantParams, status: 200, response: tenantWithCountsSchema }),
  updateTenant: defineAdminRoute({
    operationId: 'updateTenant',
    method: 'PATCH',
    path: '/tenants/{tenant}',
    tag: 'tenants',
    summary: 'Change a tenant',
    description: 'At least one field. `localPasswordsEnabled: false` needs an enabled identity provider (nobody could sign in otherwise).',
    params: tenantParams,
    body: updateTenantRequestSchema,
    status: 200,
    response: tenantSchema,
  }),
  deleteTenant: defineAdminRoute({
    operationId: 'deleteTenant',
    method: 'DELETE',
    path: '/tenants/{tenant}',
    tag: 'tenants',
    summary: 'Delete a tenant',
    description: 'Revokes every grant and session it issued, then removes it and everything it holds. Platform admins only.',
    params: tenantParams,
    status: 204,
    access: 'platform',
  }),
  setRegistrationPolicy: defineAdminRoute({
    operationId: 'setRegistrationPolicy',
    method: 'PUT',
    path: '/tenants/{tenant}/registration-policy',
    tag: 'tenants',
    summary: "Set a tenant's dynamic client registration policy",
    params: tenantParams,
    body: setRegistrationPolicyRequestSchema,
    status: 200,
    response: registrationPolicyResponseSchema,
  }),
  createInitialAccessToken: defineAdminRoute({
    operationId: 'createInitialAccessToken',
    method: 'POST',
    path: '/tenants/{tenant}/initial-access-tokens',
    tag: 'tenants',
    summary: 'Issue an RFC 7591 initial access token',
    description: 'Only for a tenant whose registration policy is initial_access_token; the token is shown once.',
    params: tenantParams,
    body: createInitialAccessTokenRequestSchema,
    status: 201,
    response: initialAccessTokenResponseSchema,
  }),

  // Signing keys
  listKeys: defineAdminRoute({ operationId: 'listKeys', method: 'GET', path: '/tenants/{tenant}/keys', tag: 'keys', summary: "List a tenant's published signing keys", params: tenantParams, status: 200, response: itemsSchema(signingKeySchema) }),
  rotateKeys: defineAdminRoute({
    operationId: 'rotateKeys',
    method: 'POST',
    path: '/tenants/{tenant}/keys/rotate',
    tag: 'keys',
    summary: 'Rotate signing keys',
    description: 'The next key starts signing, a new next key is published, the old one stays until its tokens expire.',
    params: tenantParams,
    body: rotateKeysRequestSchema,
    status: 200,
    response: itemsSchema(signingKeySchema),
  }),

  // Users
  listUsers: defineAdminRoute({
    operationId: 'listUsers',
    method: 'GET',
    path: '/tenants/{tenant}/users',
    tag: 'users',
    summary: 'List and search users',
    description: 'By email, or newest first with `?sort=created`; `?q=` a case-insensitive email or display-name prefix, `?disabled=`. A cursor belongs to its sort.',
    params: tenantParams,
    query: adminUsersQuerySchema,
    status: 200,
    response: pageSchema(userSchema),
  }),
  createUser: defineAdminRoute({
    operationId: 'createUser',
    method: 'POST',
    path: '/tenants/{tenant}/users',
    tag: 'users',
    summary: 'Create a local user',
    params: tenantParams,
    body: createUserRequestSchema,
    status: 201,
    response: userSchema,
    errors: ['conflict'],
  }),
  getUser: defineAdminRoute({ operationId: 'getUser', method: 'GET', path: '/tenants/{tenant}/users/{id}', tag: 'users', summary: 'Get a user', params: userParams, status: 200, response: userSchema }),
  updateUser: defineAdminRoute({
    operationId: 'updateUser',
    method: 'PATCH',
    path: '/tenants/{tenant}/users/{id}',
    tag: 'users',
    summary: 'Change a user (disabling one revokes its grants)',
    description: 'At least one field; disabling a user revokes its grants.',
    params: userParams,
    body: updateUserRequestSchema,
    status: 200,
    response: userSchema,
  }),
  deleteUser: defineAdminRoute({ operationId: 'deleteUser', method: 'DELETE', path: '/tenants/{tenant}/users/{id}', tag: 'users', summary: 'Delete a user and revoke its grants', params: userParams, status: 204 }),
  resetUserSignIn: defineAdminRoute({
    operationId: 'resetUserSignIn',
    method: 'POST',
    path: '/tenants/{tenant}/users/{id}/reset-sign-in',
    tag: 'users',
    summary: "Clear a user's password and sign them out everywhere",
    description: 'No password signs in until one is set (PATCH `password`).',
    params: userParams,
    body: emptyRequestSchema,
    status: 200,
    response: userSchema,
    errors: ['temporarily_unavailable'],
  }),
  signOutUser: defineAdminRoute({
    operationId: 'signOutUser',
    method: 'POST',
    path: '/tenants/{tenant}/users/{id}/sign-out',
    tag: 'users',
    summary: 'Sign a user out everywhere',
    description: 'Ends their browser sign-ins, revokes every grant (refresh and access tokens with it) and ends their MCP and login sessions.',
    params: userParams,
    body: emptyRequestSchema,
    status: 200,
    response: signOutResultSchema,
    errors: ['temporarily_unavailable'],
  }),
  // SCIM provisioning tokens
  listScimTokens: defineAdminRoute({
    operationId: 'listScimTokens',
    method: 'GET',
    path: '/tenants/{tenant}/scim-tokens',
    tag: 'scim',
    summary: "List a tenant's SCIM bearer tokens",
    description: 'Never the secrets: ids, when made, when last used (recorded at most once a minute).',
    params: tenantParams,
    status: 200,
    response: itemsSchema(scimTokenSchema),
  }),
  createScimToken: defineAdminRoute({
    operationId: 'createScimToken',
    method: 'POST',
    path: '/tenants/{tenant}/scim-tokens',
    tag: 'scim',
    summary: 'Make a SCIM bearer token for the tenant\'s provisioning client',
    description: 'The token is shown once (only its SHA-256 is kept); `baseUrl` is what the provisioning client is given as the SCIM endpoint.',
    params: tenantParams,
    body: emptyRequestSchema,
    status: 201,
    response: createdScimTokenSchema,
  }),
  revokeScimToken: defineAdminRoute({
    operationId: 'revokeScimToken',
    method: 'DELETE',
    path: '/tenants/{tenant}/scim-tokens/{id}',
    tag: 'scim',
    summary: 'Revoke a SCIM bearer token',
    description: 'Requests with it are refused (401) from now on.',
    params: tenantParams.extend({ id: z.uuid() }),
    status: 204,
  }),
  listUserGrants: defineAdminRoute({
    operationId: 'listUserGrants',
    method: 'GET',
    path: '/tenants/{tenant}/users/{id}/grants',
    tag: 'grants',
    summary: "List a user's grants (consents), oldest first",
    params: userParams,
    query: adminListQuerySchema,
    status: 200,
    response: pageSchema(grantSchema),
  }),
  revokeUserGrant: defineAdminRoute({
    operationId: 'revokeUserGrant',
    method: 'DELETE',
    path: '/tenants/{tenant}/users/{id}/grants/{grantId}',
    tag: 'grants',
    summary: 'Revoke one grant of a user, and every token issued from it',
    params: userGrantParams,
    status: 204,
  }),

  // Clients
  listClients: defineAdminRoute({
    operationId: 'listClients',
    method: 'GET',
    path: '/tenants/{tenant}/clients',
    tag: 'clients',
    summary: 'List clients (pre-registered and dynamically registered), with their last use',
    description: 'By client id; `?q=` a client id prefix, `?kind=`, `?disabled=`.',
    params: tenantParams,
    query: adminClientsQuerySchema,
    status: 200,
    response: pageSchema(clientSchema),
  }),
  createClient: defineAdminRoute({
    operationId: 'createClient',
    method: 'POST',
    path: '/tenants/{tenant}/clients',
    tag: 'clients',
    summary: 'Pre-register a client',
    description: "A confidential client's secret is in this response only.",
    params: tenantParams,
    body: createClientRequestSchema,
    status: 201,
    response: createdClientSchema,
    errors: ['conflict', 'invalid_redirect_uri', 'invalid_client_metadata'],
  }),
  getClient: defineAdminRoute({ operationId: 'getClient', method: 'GET', path: '/tenants/{tenant}/clients/{clientId}', tag: 'clients', summary: 'Get a client', params: clientParams, status: 200, response: clientSchema }),
  updateClient: defineAdminRoute({
    operationId: 'updateClient',
    method: 'PATCH',
    path: '/tenants/{tenant}/clients/{clientId}',
    tag: 'clients',
    summary: 'Disable or enable a client (disabling revokes every token it holds)',
    params: clientParams,
    body: updateClientRequestSchema,
    status: 200,
    response: clientSchema,
  }),
  deleteClient: defineAdminRoute({ operationId: 'deleteClient', method: 'DELETE', path: '/tenants/{tenant}/clients/{clientId}', tag: 'clients', summary: 'Delete a client and revoke its tokens', params: clientParams, status: 204 }),
  listClientGrants: defineAdminRoute({
    operationId: 'listClientGrants',
    method: 'GET',
    path: '/tenants/{tenant}/clients/{clientId}/grants',
    tag: 'grants',
    summary: "List the grants users gave a client, oldest first",
    params: clientParams,
    query: adminListQuerySchema,
    status: 200,
    response: pageSchema(grantSchema),
  }),
  revokeClientGrants: defineAdminRoute({
    operationId: 'revokeClientGrants',
    method: 'POST',
    path: '/tenants/{tenant}/clients/{clientId}/grants/revoke',
    tag: 'grants',
    summary: 'Revoke every grant users gave a client (the client stays registered)',
    params: clientParams,
    body: emptyRequestSchema,
    status: 200,
    response: adminRevokeSessionsResponseSchema,
  }),

  // Upstream servers and their tools
  listServers: defineAdminRoute({ operationId: 'listServers', method: 'GET', path: '/tenants/{tenant}/servers', tag: 'servers', summary: 'List upstream MCP servers', params: tenantParams, query: adminListQuerySchema, status: 200, response: pageSchema(upstreamServerSchema) }),
  createServer: defineAdminRoute({
    operationId: 'createServer',
    method: 'POST',
    path: '/tenants/{tenant}/servers',
    tag: 'servers',
    summary: 'Add an upstream MCP server',
    description: 'An http server needs `url`, a stdio server `command`. `secrets` fit the kind: `{env}` for stdio, `{header}` for static_header, `{tokenUrl, clientId, clientSecret}` for client_credentials, optionally `{oauthClient: {clientId, clientSecret?, scope?, authorizationServer?}}` for oauth_user (a pre-registered client; without it the auth server registers one dynamically), absent otherwise; they are sealed and never returned.',
    params: tenantParams,
    body: createUpstreamServerRequestSchema,
    status: 201,
    response: upstreamServerSchema,
    errors: ['conflict'],
  }),
  getServer: defineAdminRoute({ operationId: 'getServer', method: 'GET', path: '/tenants/{tenant}/servers/{name}', tag: 'servers', summary: 'Get an upstream server with its tool catalogue', params: serverParams, status: 200, response: upstreamServerWithToolsSchema }),
  updateServer: defineAdminRoute({
    operationId: 'updateServer',
    method: 'PATCH',
    path: '/tenants/{tenant}/servers/{name}',
    tag: 'servers',
    summary: 'Change an upstream server',
    description: 'At least one field; `secrets: null` removes the credentials.',
    params: serverParams,
    body: updateUpstreamServerRequestSchema,
    status: 200,
    response: upstreamServerSchema,
  }),
  deleteServer: defineAdminRoute({ operationId: 'deleteServer', method: 'DELETE', path: '/tenants/{tenant}/servers/{name}', tag: 'servers', summary: 'Remove an upstream server', params: serverParams, status: 204 }),
  testServer: defineAdminRoute({
    operationId: 'testServer',
    method: 'POST',
    path: '/tenants/{tenant}/servers/{name}/test',
    tag: 'servers',
    summary: 'Test the connection to an upstream server',
    description:
      "A gateway replica connects to the saved server as it would for a session (http: through its egress policy, with the server's credentials; stdio: started in its sandbox), initializes, lists the tools and closes. `ok` false names the failed `stage` and an `error.code` with the reason; `timings` in ms. 503 when no gateway replica answered within 20 s. Nothing is stored.",
    params: serverParams,
    body: emptyRequestSchema,
    status: 200,
    response: upstreamTestResultSchema,
    errors: ['temporarily_unavailable'],
  }),
  putTools: defineAdminRoute({
    operationId: 'putTools',
    method: 'PUT',
    path: '/tenants/{tenant}/servers/{name}/tools',
    tag: 'servers',
    summary: "Replace a server's tool catalogue",
    description: 'Tools not listed are removed; names must be unique.',
    params: serverParams,
    body: putToolsRequestSchema,
    status: 200,
    response: itemsSchema(toolSchema),
  }),
  setToolScopes: defineAdminRoute({
    operationId: 'setToolScopes',
    method: 'PATCH',
    path: '/tenants/{tenant}/servers/{name}/tools/{tool}',
    tag: 'servers',
    summary: 'Set the scopes a tool requires, or enable or disable it',
    description: 'A disabled tool is absent from tools/list and tools/call refuses it as an unknown tool.',
    params: toolParams,
    body: setToolScopesRequestSchema,
    status: 200,
    response: toolSchema,
  }),

  listToolChanges: defineAdminRoute({
    operationId: 'listToolChanges',
    method: 'GET',
    path: '/tenants/{tenant}/servers/{name}/tool-changes',
    tag: 'servers',
    summary: "List a server's tools whose definition awaits approval, with a field-level diff",
    description: 'Pinned tool definitions: a tool whose definition changed upstream since it was approved (or a new tool, when the tenant holds new tools for approval) is withheld from clients, or served flagged, until approved.',
    params: serverParams,
    status: 200,
    response: itemsSchema(pendingToolChangeSchema),
  }),
  approveTool: defineAdminRoute({
    operationId: 'approveTool',
    method: 'POST',
    path: '/tenants/{tenant}/servers/{name}/tools/{tool}/approve',
    tag: 'servers',
    summary: 'Approve the definition of a tool a gateway last saw',
    description: '`hash` must be the pending `seenHash`: a definition that changed again meanwhile is refused with 409 (list the changes again). Every gateway replica serves the tool again at once.',
    params: toolParams,
    body: approveToolRequestSchema,
    status: 200,
    response: toolSchema,
    errors: ['conflict'],
  }),

  // MCP sessions (live at the session store)
  listSessions: defineAdminRoute({
    operationId: 'listSessions',
    method: 'GET',
    path: '/tenants/{tenant}/sessions',
    tag: 'sessions',
    summary: "List a tenant's live MCP sessions",
    description:
      'Oldest first, or `?sort=` `-created` (newest first), `last_seen` / `-last_seen` (by the last activity the session store recorded; it writes activity in batches). `?client=` and `?subject=` narrow the list. The cursor is stable while sessions start and end (by last activity: a session active between two pages may move).',
    params: tenantParams,
    query: adminSessionsQuerySchema,
    status: 200,
    response: pageSchema(adminSessionSchema),
  }),
  revokeSession: defineAdminRoute({
    operationId: 'revokeSession',
    method: 'DELETE',
    path: '/tenants/{tenant}/sessions/{sessionId}',
    tag: 'sessions',
    summary: 'End one MCP session (every gateway drops it within a second)',
    params: sessionParams,
    status: 204,
    errors: ['temporarily_unavailable'],
  }),
  revokeSessions: defineAdminRoute({
    operationId: 'revokeSessions',
    method: 'POST',
    path: '/tenants/{tenant}/sessions/revoke',
    tag: 'sessions',
    summary: 'End many MCP sessions: listed ones, or every one of a client or a user',
    description:
      '`ids` (up to 200 sessions of this tenant), or at least one of `client`, `subject`; answers how many live sessions were ended (and, with `ids`, which were not live). The session store audits each ended session (`session.revoke`, reason `admin`); the admin record lists the ids.',
    params: tenantParams,
    body: adminRevokeSessionsRequestSchema,
    status: 200,
    response: adminRevokeSessionsResponseSchema,
    errors: ['temporarily_unavailable'],
  }),

  // Login sessions (browser sign-ins, live at the session store)
  listLoginSessions: defineAdminRoute({
    operationId: 'listLoginSessions',
    method: 'GET',
    path: '/tenants/{tenant}/login-sessions',
    tag: 'sessions',
    summary: "List a tenant's live login sessions",
    description: 'Oldest first; `?subject=` one user. The cursor is stable while sessions start and end.',
    params: tenantParams,
    query: adminLoginSessionsQuerySchema,
    status: 200,
    response: pageSchema(adminLoginSessionSchema),
  }),
  revokeLoginSession: defineAdminRoute({
    operationId: 'revokeLoginSession',
    method: 'DELETE',
    path: '/tenants/{tenant}/login-sessions/{sessionId}',
    tag: 'sessions',
    summary: 'End one login session (the browser signs in again)',
    params: sessionParams,
    status: 204,
    errors: ['temporarily_unavailable'],
  }),

  // Call policy (Cedar rules the gateway evaluates on every tools/call)
  getCallPolicy: defineAdminRoute({
    operationId: 'getCallPolicy',
    method: 'GET',
    path: '/tenants/{tenant}/call-policy',
    tag: 'call-policy',
    summary: "Get a tenant's call policy",
    description: 'Version 0 and an empty policy with default allow before the first save.',
    params: tenantParams,
    status: 200,
    response: callPolicySchema,
  }),
  putCallPolicy: defineAdminRoute({
    operationId: 'putCallPolicy',
    method: 'PUT',
    path: '/tenants/{tenant}/call-policy',
    tag: 'call-policy',
    summary: "Replace a tenant's call policy",
    description:
      'The Cedar text is validated against the call-policy schema (User in Group, Client, Server, Tool, action call_tool, context.arguments and context.numbers tags); an invalid one is a 400 whose `diagnostics` list Cedar\'s findings, and nothing is stored. Every gateway replica uses the new version from its next call. `expectedVersion`: refused with 409 when the policy changed since.',
    params: tenantParams,
    body: putCallPolicyRequestSchema,
    status: 200,
    response: callPolicySchema,
    errors: ['conflict'],
  }),
  evaluateCallPolicy: defineAdminRoute({
    operationId: 'evaluateCallPolicy',
    method: 'POST',
    path: '/tenants/{tenant}/call-policy/evaluate',
    tag: 'call-policy',
    summary: 'Dry run: would the policy allow this call?',
    description: 'Against the saved policy, or against `cedar` (with `defaultEffect`) as a draft; nothing is stored.',
    params: tenantParams,
    body: evaluateCallPolicyRequestSchema,
    status: 200,
    response: callPolicyDecisionSchema,
  }),

  // Audit log
  listAudit: defineAdminRoute({
    operationId: 'listAudit',
    method: 'GET',
    path: '/tenants/{tenant}/audit',
    tag: 'audit',
    summary: "List a tenant's audit records, newest first",
    description:
      '`actor` matches the acting subject or client; `subject` and `client` also match the user or client acted on. With `Accept: application/x-ndjson` or `?format=jsonl` the answer is JSON lines (one record a line, up to 10000; the header `airlock-next-cursor` continues the export).',
    params: tenantParams,
    query: adminAuditQuerySchema,
    status: 200,
    response: pageSchema(adminAuditRecordSchema),
  }),

  listPlatformAudit: defineAdminRoute({
    operationId: 'listPlatformAudit',
    method: 'GET',
    path: '/audit',
    tag: 'audit',
    summary: "List the platform's own audit records (admin people, roles, refused admin attempts), newest first",
    description:
      'Platform admins and auditors of every tenant. Same filters and JSON-lines export as a tenant\'s audit log: tenant creation and deletion, role assignments, admin people and clients, and the refused attempts of authenticated admins are recorded here.',
    query: adminAuditQuerySchema,
    status: 200,
    response: pageSchema(adminAuditRecordSchema),
    access: 'platform-read',
  }),

  // Metrics
  getToolCallMetrics: defineAdminRoute({
    operationId: 'getToolCallMetrics',
    method: 'GET',
    path: '/metrics/tool-calls',
    tag: 'metrics',
    summary: 'Tool calls per time bucket, with errors and refusals, and the busiest tenants',
    description:
      'From the audit records of finished tool calls. `from` inclusive, `to` exclusive (default: the last hour); `step` one of 1m, 5m, 15m, 1h, 1d (default: the finest with at most 1440 buckets); a range of at most 31 days. Every role: a tenant admin or scoped auditor counts its own tenants only; `?tenant=` one tenant.',
    query: toolCallMetricsQuerySchema,
    status: 200,
    response: toolCallMetricsSchema,
    access: 'any-role',
  }),

  // Admin principals: people and automation clients of the `admin` tenant, and their roles (platform admins only)
  listRoleAssignments: defineAdminRoute({
    operationId: 'listRoleAssignments',
    method: 'GET',
    path: '/role-assignments',
    tag: 'admins',
    summary: 'List who holds which admin role, oldest grant first',
    description: 'Each assignment names its principal (email, name, disabled); `?q=` an email, name or client id prefix.',
    query: adminRoleAssignmentsQuerySchema,
    status: 200,
    response: pageSchema(roleAssignmentSchema),
  }),
  putRoleAssignment: defineAdminRoute({
    operationId: 'putRoleAssignment',
    method: 'PUT',
    path: '/role-assignments/{principalType}/{principalId}',
    tag: 'admins',
    summary: "Grant or replace a principal's admin role",
    description: 'The principal is a user (by id) or a client (by client_id) of the `admin` tenant; it must exist. Takes effect on its next call.',
    params: adminPrincipalParamsSchema,
    body: putRoleAssignmentRequestSchema,
    status: 200,
    response: roleAssignmentSchema,
  }),
  deleteRoleAssignment: defineAdminRoute({
    operationId: 'deleteRoleAssignment',
    method: 'DELETE',
    path: '/role-assignments/{principalType}/{principalId}',
    tag: 'admins',
    summary: "Revoke a principal's admin role (its next call is refused)",
    params: adminPrincipalParamsSchema,
    status: 204,
  }),
  listAdminUsers: defineAdminRoute({
    operationId: 'listAdminUsers',
    method: 'GET',
    path: '/admin-users',
    tag: 'admins',
    summary: 'List or search the admin people (users of the `admin` tenant), with or without a role',
    description: '`?q=` an email or display-name prefix (case-insensitive).',
    query: adminUsersQuerySchema,
    status: 200,
    response: pageSchema(userSchema),
  }),
  createAdminUser: defineAdminRoute({
    operationId: 'createAdminUser',
    method: 'POST',
    path: '/admin-users',
    tag: 'admins',
    summary: 'Create an admin person (a user of the `admin` tenant; give it a role and a TOTP enrollment before it can sign in)',
    body: createAdminUserRequestSchema,
    status: 201,
    response: userSchema,
    errors: ['conflict'],
  }),
  updateAdminUser: defineAdminRoute({
    operationId: 'updateAdminUser',
    method: 'PATCH',
    path: '/admin-users/{id}',
    tag: 'admins',
    summary: 'Disable or enable an admin person (disabled: refused on its next call, its grants revoked)',
    params: adminUserParamsSchema,
    body: updateAdminUserRequestSchema,
    status: 200,
    response: userSchema,
  }),
  enrollAdminTotp: defineAdminRoute({
    operationId: 'enrollAdminTotp',
    method: 'POST',
    path: '/admin-users/{id}/totp',
    tag: 'admins',
    summary: "Set (or replace) an admin person's TOTP secret",
    description: 'RFC 6238, SHA-1, 6 digits, 30 s. The otpauth:// URI is in this response only; hand it to the person out of band.',
    params: adminUserParamsSchema,
    body: enrollAdminTotpRequestSchema,
    status: 201,
    response: totpEnrollmentResponseSchema,
  }),
  createAdminClient: defineAdminRoute({
    operationId: 'createAdminClient',
    method: 'POST',
    path: '/admin-clients',
    tag: 'admins',
    summary: 'Create an automation client of the `admin` tenant (client_credentials; give it a role to use it)',
    description: 'Its secret is in this response only.',
    body: createAdminClientRequestSchema,
    status: 201,
    response: createdClientSchema,
  }),
  updateAdminClient: defineAdminRoute({
    operationId: 'updateAdminClient',
    method: 'PATCH',
    path: '/admin-clients/{clientId}',
    tag: 'admins',
    summary: 'Disable or enable an automation client (disabled: its tokens are revoked, its next call refused)',
    params: adminClientParamsSchema,
    body: updateAdminClientRequestSchema,
    status: 200,
    response: clientSchema,
  }),
  // ID-JAG: the IdPs a tenant trusts for jwt-bearer assertions, the authorization servers it issues them for
  listTrustedIssuers: defineAdminRoute({ operationId: 'listTrustedIssuers', method: 'GET', path: '/tenants/{tenant}/trusted-issuers', tag: 'id-jag', summary: 'List the IdPs whose ID-JAGs this tenant accepts', params: tenantParams, status: 200, response: itemsSchema(trustedIssuerSchema) }),
  createTrustedIssuer: defineAdminRoute({
    operationId: 'createTrustedIssuer',
    method: 'POST',
    path: '/tenants/{tenant}/trusted-issuers',
    tag: 'id-jag',
    summary: 'Trust an IdP for ID-JAGs (jwt-bearer grant)',
    description: 'Keys from `jwksUri` (fetched SSRF-safe, cached, refetched at most every 30 s for an unknown kid) or inline `jwks`. `allowedClientIds` empty: any client of the tenant may redeem. The subject must be linked to a local user (federated identity by issuer and subject).',
    params: tenantParams,
    body: createTrustedIssuerRequestSchema,
    status: 201,
    response: trustedIssuerSchema,
    errors: ['conflict'],
  }),
  updateTrustedIssuer: defineAdminRoute({ operationId: 'updateTrustedIssuer', method: 'PATCH', path: '/tenants/{tenant}/trusted-issuers/{id}', tag: 'id-jag', summary: 'Change a trusted IdP (keys, clients, enabled)', params: trustedIssuerParams, body: updateTrustedIssuerRequestSchema, status: 200, response: trustedIssuerSchema }),
  deleteTrustedIssuer: defineAdminRoute({ operationId: 'deleteTrustedIssuer', method: 'DELETE', path: '/tenants/{tenant}/trusted-issuers/{id}', tag: 'id-jag', summary: 'Stop trusting an IdP', params: trustedIssuerParams, status: 204 }),
  listIdJagAudiences: defineAdminRoute({ operationId: 'listIdJagAudiences', method: 'GET', path: '/tenants/{tenant}/id-jag-audiences', tag: 'id-jag', summary: 'List the authorization servers this tenant issues ID-JAGs for (as an IdP)', params: tenantParams, status: 200, response: itemsSchema(idJagAudienceSchema) }),
  createIdJagAudience: defineAdminRoute({
    operationId: 'createIdJagAudience',
    method: 'POST',
    path: '/tenants/{tenant}/id-jag-audiences',
    tag: 'id-jag',
    summary: 'Let this tenant issue ID-JAGs for an authorization server',
    description: 'Clients of this tenant then exchange (RFC 8693, `requested_token_type=urn:ietf:params:oauth:token-type:id-jag`) an ID token or access token of this tenant for an ID-JAG with `aud` = `audience`. `resources`, `allowedClientIds` and `scopes` limit what may be asked for; each empty: no limit.',
    params: tenantParams,
    body: createIdJagAudienceRequestSchema,
    status: 201,
    response: idJagAudienceSchema,
    errors: ['conflict'],
  }),
  updateIdJagAudience: defineAdminRoute({ operationId: 'updateIdJagAudience', method: 'PATCH', path: '/tenants/{tenant}/id-jag-audiences/{id}', tag: 'id-jag', summary: 'Change what this tenant issues ID-JAGs for', params: idJagAudienceParams, body: updateIdJagAudienceRequestSchema, status: 200, response: idJagAudienceSchema }),
  deleteIdJagAudience: defineAdminRoute({ operationId: 'deleteIdJagAudience', method: 'DELETE', path: '/tenants/{tenant}/id-jag-audiences/{id}', tag: 'id-jag', summary: 'Stop issuing ID-JAGs for an authorization server', params: idJagAudienceParams, status: 204 }),

  // Enterprise sign-in: a tenant's identity providers (OpenID Connect, SAML 2.0) and the scopes their groups grant
  listIdentityProviders: defineAdminRoute({
    operationId: 'listIdentityProviders',
    method: 'GET',
    path: '/tenants/{tenant}/identity-providers',
    tag: 'identity-providers',
    summary: "List a tenant's identity providers (never their secrets)",
    description: 'By slug.',
    params: tenantParams,
    query: adminListQuerySchema,
    status: 200,
    response: pageSchema(identityProviderSchema),
  }),
  createIdentityProvider: defineAdminRoute({
    operationId: 'createIdentityProvider',
    method: 'POST',
    path: '/tenants/{tenant}/identity-providers',
    tag: 'identity-providers',
    summary: 'Add an OpenID Connect or SAML 2.0 identity provider',
    description:
      "`config` is judged by `kind`: OpenID Connect (issuer, clientId, ...; `clientSecret` required, sealed, never returned; the preset's rules apply, e.g. entra needs a tenant-specific v2.0 issuer, google `hostedDomains`) or SAML (IdP entity id, SSO URL, signing certificates, ...). The issuer must pass the upstream address policy. Register the answer's `callbackUrl` (and for SAML its `metadataUrl`, the SP entity id) at the provider. `emailDomains` drive home-realm discovery; a domain belongs to one provider of the tenant.",
    params: tenantParams,
    body: createIdentityProviderRequestSchema,
    status: 201,
    response: identityProviderSchema,
    errors: ['conflict'],
  }),
  getIdentityProvider: defineAdminRoute({ operationId: 'getIdentityProvider', method: 'GET', path: '/tenants/{tenant}/identity-providers/{provider}', tag: 'identity-providers', summary: 'Get an identity provider (never its secret)', params: identityProviderParams, status: 200, response: identityProviderSchema }),
  updateIdentityProvider: defineAdminRoute({
    operationId: 'updateIdentityProvider',
    method: 'PATCH',
    path: '/tenants/{tenant}/identity-providers/{provider}',
    tag: 'identity-providers',
    summary: 'Change, enable or disable an identity provider',
    description: '`config` replaces the whole config and is judged by the provider\'s kind; `clientSecret` replaces the sealed secret (OpenID Connect only). A disabled provider leaves the login page and refuses sign-ins at once.',
    params: identityProviderParams,
    body: updateIdentityProviderRequestSchema,
    status: 200,
    response: identityProviderSchema,
    errors: ['conflict'],
  }),
  deleteIdentityProvider: defineAdminRoute({
    operationId: 'deleteIdentityProvider',
    method: 'DELETE',
    path: '/tenants/{tenant}/identity-providers/{provider}',
    tag: 'identity-providers',
    summary: 'Remove an identity provider with its group mappings and its users\' links',
    description: 'The users it provisioned stay (without a way to sign in through it). To stop sign-ins reversibly, disable it instead.',
    params: identityProviderParams,
    status: 204,
  }),
  listGroupMappings: defineAdminRoute({
    operationId: 'listGroupMappings',
    method: 'GET',
    path: '/tenants/{tenant}/group-mappings',
    tag: 'identity-providers',
    summary: 'List the group mappings of a tenant (groups that grant scopes)',
    description: 'By group name. `?providerId=` a provider\'s mappings and those for every provider; `?q=` a group-name prefix.',
    params: tenantParams,
    query: adminGroupMappingsQuerySchema,
    status: 200,
    response: pageSchema(groupMappingSchema),
  }),
  createGroupMapping: defineAdminRoute({
    operationId: 'createGroupMapping',
    method: 'POST',
    path: '/tenants/{tenant}/group-mappings',
    tag: 'identity-providers',
    summary: 'Map a group to scopes',
    description: 'A group asserted by the provider `providerId` (null: by any provider of the tenant, or a SCIM group) grants `scopes`. A scope any mapping names is governed: from the next token on, only users in a group mapped to it get it. A second mapping of the same group and provider is refused (409); a `providerId` of another tenant is no provider.',
    params: tenantParams,
    body: createGroupMappingRequestSchema,
    status: 201,
    response: groupMappingSchema,
    errors: ['conflict'],
  }),
  updateGroupMapping: defineAdminRoute({ operationId: 'updateGroupMapping', method: 'PATCH', path: '/tenants/{tenant}/group-mappings/{id}', tag: 'identity-providers', summary: "Change a group mapping's group name or scopes", params: groupMappingParams, body: updateGroupMappingRequestSchema, status: 200, response: groupMappingSchema, errors: ['conflict'] }),
  deleteGroupMapping: defineAdminRoute({ operationId: 'deleteGroupMapping', method: 'DELETE', path: '/tenants/{tenant}/group-mappings/{id}', tag: 'identity-providers', summary: 'Remove a group mapping', params: groupMappingParams, status: 204 }),

  // Pre-approved clients: no consent screen for their users (the grant is still recorded and audited)
  listPreApprovals: defineAdminRoute({ operationId: 'listPreApprovals', method: 'GET', path: '/tenants/{tenant}/pre-approvals', tag: 'clients', summary: 'List the clients pre-approved for this tenant', params: tenantParams, status: 200, response: itemsSchema(preApprovalSchema) }),
  putPreApproval: defineAdminRoute({
    operationId: 'putPreApproval',
    method: 'PUT',
    path: '/tenants/{tenant}/pre-approvals/{clientId}',
    tag: 'clients',
    summary: 'Pre-approve a client for these scopes (its users see no consent screen for them)',
    description: 'A request for more than these scopes still shows the consent screen. Replaces an earlier pre-approval of the client.',
    params: clientParams,
    body: putPreApprovalRequestSchema,
    status: 200,
    response: preApprovalSchema,
  }),
  deletePreApproval: defineAdminRoute({ operationId: 'deletePreApproval', method: 'DELETE', path: '/tenants/{tenant}/pre-approvals/{clientId}', tag: 'clients', summary: 'Withdraw a pre-approval (consent is asked again; grants already given stay)', params: clientParams, status: 204 }),
} as const satisfies Record<string, AdminRouteDefinition>;

export type AdminRouteName = keyof typeof adminRoutes;
