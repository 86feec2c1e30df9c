import { accessToken, loadSettings, renew } from './auth.js';

// The admin API (/admin/v1) as the console calls it: the bearer token from auth.ts, and refusals as
// ApiError carrying the API's `error`, `error_description` and the request id to quote to an operator.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly description: string,
    readonly requestId: string | undefined,
  ) {
    super(description);
  }

  /** `error_description` "slug: must be ...; displayName: ..." split by field (the API names the field first). */
  fieldErrors(): Record<string, string> {
    const fields: Record<string, string> = {};
    for (const part of this.description.split('; ')) {
      const match = /^([A-Za-z][\w.]*): (.+)$/.exec(part);
      if (match) fields[match[1]!] = match[2]!;
    }
    return fields;
  }
}

export type Role = 'platform-admin' | 'tenant-admin' | 'auditor';

export interface Me {
  clientId: string;
  subject: string;
  role: Role;
  tenants: 'all' | string[];
  breakGlass: boolean;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Tenant {
  id: string;
  slug: string;
  displayName: string;
  registrationPolicy: 'open' | 'initial_access_token' | 'off';
  accessTokenTtl: number;
  createdAt: string;
  counts?: { users: number; clients: number; servers: number; liveSessions?: number };
}

/** A tenant's published signing key: `active` signs, `next` is published ahead, `retired` stays until its tokens expire. */
export interface SigningKey {
  kid: string;
  alg: string;
  state: 'active' | 'next' | 'retired';
  notAfter: string | null;
}

/** How the API orders a sessions list: by start or last activity, `-` for newest first. */
export type SessionSort = 'created' | '-created' | 'last_seen' | '-last_seen';

export interface McpSession {
  id: string;
  subject: string;
  clientId: string;
  servers: string[];
  protocolVersion: string | null;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
}

export interface AuditRecord {
  id: string;
  occurredAt: string;
  actor: { subject?: string; clientId?: string };
  action: string;
  target: string | null;
  outcome: string;
  requestId: string | null;
  details: Record<string, unknown>;
}

export interface User {
  id: string;
  email: string;
  displayName: string | null;
  disabled: boolean;
  /** False after "reset sign-in": no password signs in until an admin sets one. */
  passwordSet: boolean;
  createdAt: string;
}

/** A user's standing consent to a client; revoking it ends every token issued from it. */
export interface Grant {
  grantId: string;
  userId: string;
  clientId: string;
  scopes: string[];
  resource: string;
  createdAt: string;
  updatedAt: string;
}

export interface UpstreamServer {
  id: string;
  name: string;
  transport: 'http' | 'stdio';
  url: string | null;
  command: string | null;
  args: string[];
  credentialKind: 'none' | 'static_header' | 'client_credentials' | 'token_exchange';
  hasSecrets: boolean;
  enabled: boolean;
  sandbox: boolean;
  readOnlyPaths: string[];
  protocolEra: string;
  detectedProtocolVersion: string | null;
  protocolDetectedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A client as the admin API shows it (RFC 7591 metadata, snake_case). */
export interface Client {
  client_id: string;
  /** `admin`, `dynamic` (RFC 7591), `metadata_document` (CIMD) or another registration path. */
  kind: string;
  disabled: boolean;
  created_at: string;
  last_used_at?: string | null;
  client_name?: string;
  redirect_uris?: string[];
  grant_types?: string[];
  token_endpoint_auth_method?: string;
  scope?: string;
}

/** A browser sign-in, live at the session store. */
export interface LoginSession {
  id: string;
  subject: string;
  clientId: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
}

export interface Tool {
  name: string;
  title: string | null;
  description: string | null;
  requiredScopes: string[];
  enabled: boolean;
}

/** Tool calls that finished in a time bucket: all, failed (tool or upstream error), refused or denied by the gateway. */
export interface ToolCallCounts {
  calls: number;
  errors: number;
  refused: number;
}

/** GET /metrics/tool-calls: every bucket of the range (empty ones as zeros) and the busiest tenants. */
export interface ToolCallMetrics {
  from: string;
  to: string;
  step: string;
  tenant: string | null;
  totals: ToolCallCounts;
  series: Array<ToolCallCounts & { start: string }>;
  tenants: Array<ToolCallCounts & { tenant: string }>;
}

/** Who holds which admin role: a person (email, name) or an automation client (name). */
export interface RoleAssignment {
  principalType: 'users' | 'clients';
  principalId: string;
  email: string | null;
  name: string | null;
  disabled: boolean;
  role: Role;
  tenants: 'all' | string[];
  createdAt: string;
  updatedAt: string;
}

/** What "test connection" answered (POST .../servers/{name}/test), and the request id of that call. */
export interface UpstreamTestResult {
  ok: boolean;
  server: string;
  transport: 'http' | 'stdio';
  stage: 'config' | 'connect' | 'initialize' | 'tools/list';
  error?: { code: string; message: string };
  timings: { initializeMs?: number; toolsListMs?: number; totalMs: number };
  protocolVersion: string | null;
  serverInfo: { name: string; version: string } | null;
  tools: { count: number; names: string[] } | null;
  testedAt: string;
  replica: string;
  requestId?: string | undefined;
}

/** One field-level difference between a tool's approved and last seen definition. */
export interface ToolDefinitionDifference {
  path: string;
  change: 'added' | 'removed' | 'changed';
  before?: unknown;
  after?: unknown;
}

/** A tool whose definition changed upstream (or is new and held): withheld or flagged until approved. */
export interface PendingToolChange {
  name: string;
  change: 'new' | 'changed';
  approvedHash: string | null;
  approvedAt: string | null;
  seenHash: string;
  seenAt: string | null;
  differences: ToolDefinitionDifference[];
}

type Query = Record<string, string | number | undefined>;

/** One admin API request with the bearer token (renewed once on a 401); the raw response. */
async function send(method: string, path: string, options: { query?: Query; body?: unknown; accept?: string } = {}): Promise<Response> {
  const { apiBase } = await loadSettings();
  const url = new URL(`${apiBase}${path}`);
  for (const [name, value] of Object.entries(options.query ?? {})) if (value !== undefined && value !== '') url.searchParams.set(name, String(value));
  const attempt = async (token: string | undefined) =>
    fetch(url, {
      method,
      headers: {
        accept: options.accept ?? 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
    });
  let response = await attempt(await accessToken());
  // A token revoked or expired under us: renew once and retry.
  if (response.status === 401) {
    const renewed = await renew();
    if (renewed) response = await attempt(renewed);
  }
  return response;
}

async function refusal(response: Response): Promise<ApiError> {
  const body = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined;
  return new ApiError(response.status, String(body?.['error'] ?? 'http_error'), String(body?.['error_description'] ?? `HTTP ${response.status}`), response.headers.get('x-request-id') ?? undefined);
}

export async function api<T>(method: string, path: string, options: { query?: Query; body?: unknown } = {}): Promise<T> {
  const response = await send(method, path, options);
  if (!response.ok) throw await refusal(response);
  if (response.status === 204) return undefined as T;
  return (await response.json().catch(() => undefined)) as T;
}

/** Audit filters the API takes (`from` inclusive, `to` exclusive, ISO 8601). */
export interface AuditQuery {
  action?: string;
  outcome?: string;
  from?: string;
  to?: string;
  cursor?: string;
  limit?: number;
}

/** A tenant's audit log (`tenant`) or the platform's (`undefined`). */
const auditPath = (tenant: string | undefined) => (tenant === undefined ? '/audit' : `/tenants/${encodeURIComponent(tenant)}/audit`);

/**
 * The JSON-lines export of these filters as a Blob: the token is in memory, so a plain link could not carry
 * it. `truncated`: the API stopped at its cap (`airlock-next-cursor`).
 */
export async function exportAudit(tenant: string | undefined, query: Omit<AuditQuery, 'cursor' | 'limit'>): Promise<{ blob: Blob; truncated: boolean }> {
  const response = await send('GET', auditPath(tenant), { query: { ...query, format: 'jsonl' }, accept: 'application/x-ndjson' });
  if (!response.ok) throw await refusal(response);
  return { blob: new Blob([await response.text()], { type: 'application/x-ndjson' }), truncated: response.headers.has('airlock-next-cursor') };
}

const enc = encodeURIComponent;

export const adminApi = {
  me: () => api<Me>('GET', '/me'),
  toolCallMetrics: (query: { from?: string; to?: string; step?: string; tenant?: string }) => api<ToolCallMetrics>('GET', '/metrics/tool-calls', { query }),
  listTenants: (query: { q?: string; cursor?: string; limit?: number }) => api<Page<Tenant>>('GET', '/tenants', { query }),
  createTenant: (body: { slug: string; displayName: string; registrationPolicy: string }) => api<Tenant>('POST', '/tenants', { body }),
  getTenant: (tenant: string) => api<Tenant>('GET', `/tenants/${enc(tenant)}`),
  updateTenant: (tenant: string, body: { displayName?: string; accessTokenTtl?: number }) => api<Tenant>('PATCH', `/tenants/${enc(tenant)}`, { body }),
  deleteTenant: (tenant: string) => api<void>('DELETE', `/tenants/${enc(tenant)}`),
  setRegistrationPolicy: (tenant: string, policy: Tenant['registrationPolicy']) => api<{ policy: Tenant['registrationPolicy'] }>('PUT', `/tenants/${enc(tenant)}/registration-policy`, { body: { policy } }),
  createInitialAccessToken: (tenant: string, expiresIn: number) =>
    api<{ initial_access_token: string; expires_in: number }>('POST', `/tenants/${enc(tenant)}/initial-access-tokens`, { body: { expiresIn } }),
  listKeys: (tenant: string) => api<{ items: SigningKey[] }>('GET', `/tenants/${enc(tenant)}/keys`),
  rotateKeys: (tenant: string) => api<{ items: SigningKey[] }>('POST', `/tenants/${enc(tenant)}/keys/rotate`, { body: {} }),
  listSessions: (tenant: string, query: { cursor?: string | undefined; limit?: number; client?: string | undefined; subject?: string | undefined; sort?: SessionSort }) =>
    api<Page<McpSession>>('GET', `/tenants/${enc(tenant)}/sessions`, { query }),
  /** Ends the listed sessions, or every one of a client and/or subject; `notLive`: listed ones that had ended. */
  revokeSessions: (tenant: string, body: { ids: string[] } | { client?: string | undefined; subject?: string | undefined }) =>
    api<{ revoked: number; notLive?: string[] }>('POST', `/tenants/${enc(tenant)}/sessions/revoke`, { body }),
  revokeSession: (tenant: string, id: string) => api<void>('DELETE', `/tenants/${enc(tenant)}/sessions/${enc(id)}`),
  /** A tenant's audit log, or the platform's own when `tenant` is undefined. */
  listAudit: (tenant: string | undefined, query: AuditQuery) => api<Page<AuditRecord>>('GET', auditPath(tenant), { query: { ...query } }),
  listUsers: (tenant: string, query: { q?: string; disabled?: string; cursor?: string; limit?: number }) => api<Page<User>>('GET', `/tenants/${enc(tenant)}/users`, { query }),
  getUser: (tenant: string, id: string) => api<User>('GET', `/tenants/${enc(tenant)}/users/${enc(id)}`),
  updateUser: (tenant: string, id: string, body: { disabled: boolean }) => api<User>('PATCH', `/tenants/${enc(tenant)}/users/${enc(id)}`, { body }),
  signOutUser: (tenant: string, id: string) =>
    api<{ grantsRevoked: number; sessionsEnded: number | null }>('POST', `/tenants/${enc(tenant)}/users/${enc(id)}/sign-out`, { body: {} }),
  resetUserSignIn: (tenant: string, id: string) => api<User>('POST', `/tenants/${enc(tenant)}/users/${enc(id)}/reset-sign-in`, { body: {} }),
  listUserGrants: (tenant: string, id: string, query: { cursor?: string; limit?: number }) => api<Page<Grant>>('GET', `/tenants/${enc(tenant)}/users/${enc(id)}/grants`, { query }),
  revokeUserGrant: (tenant: string, id: string, grantId: string) => api<void>('DELETE', `/tenants/${enc(tenant)}/users/${enc(id)}/grants/${enc(grantId)}`),
  listLoginSessions: (tenant: string, query: { subject?: string; cursor?: string; limit?: number }) => api<Page<LoginSession>>('GET', `/tenants/${enc(tenant)}/login-sessions`, { query }),
  listSubjectSessions: (tenant: string, query: { subject: string; cursor?: string; limit?: number }) => api<Page<McpSession>>('GET', `/tenants/${enc(tenant)}/sessions`, { query }),
  listClients: (tenant: string, query: { q?: string; kind?: string; disabled?: string; cursor?: string; limit?: number }) =>
    api<Page<Client>>('GET', `/tenants/${enc(tenant)}/clients`, { query }),
  getClient: (tenant: string, clientId: string) => api<Client>('GET', `/tenants/${enc(tenant)}/clients/${enc(clientId)}`),
  updateClient: (tenant: string, clientId: string, body: { disabled: boolean }) => api<Client>('PATCH', `/tenants/${enc(tenant)}/clients/${enc(clientId)}`, { body }),
  listClientGrants: (tenant: string, clientId: string, query: { cursor?: string; limit?: number }) =>
    api<Page<Grant>>('GET', `/tenants/${enc(tenant)}/clients/${enc(clientId)}/grants`, { query }),
  revokeClientGrants: (tenant: string, clientId: string) => api<{ revoked: number }>('POST', `/tenants/${enc(tenant)}/clients/${enc(clientId)}/grants/revoke`, { body: {} }),
  listServers: (tenant: string, query: { cursor?: string; limit?: number }) => api<Page<UpstreamServer>>('GET', `/tenants/${enc(tenant)}/servers`, { query }),
  createServer: (tenant: string, body: unknown) => api<UpstreamServer>('POST', `/tenants/${enc(tenant)}/servers`, { body }),
  getServer: (tenant: string, name: string) => api<UpstreamServer & { tools: Tool[] }>('GET', `/tenants/${enc(tenant)}/servers/${enc(name)}`),
  deleteServer: (tenant: string, name: string) => api<void>('DELETE', `/tenants/${enc(tenant)}/servers/${enc(name)}`),
  testServer: async (tenant: string, name: string): Promise<UpstreamTestResult> => {
    const response = await send('POST', `/tenants/${enc(tenant)}/servers/${enc(name)}/test`, { body: {} });
    if (!response.ok) throw await refusal(response);
    return { ...((await response.json()) as UpstreamTestResult), requestId: response.headers.get('x-request-id') ?? undefined };
  },
  listToolChanges: (tenant: string, name: string) => api<{ items: PendingToolChange[] }>('GET', `/tenants/${enc(tenant)}/servers/${enc(name)}/tool-changes`),
  approveTool: (tenant: string, name: string, tool: string, hash: string) => api<Tool>('POST', `/tenants/${enc(tenant)}/servers/${enc(name)}/tools/${enc(tool)}/approve`, { body: { hash } }),
  updateTool: (tenant: string, name: string, tool: string, body: { requiredScopes?: string[]; enabled?: boolean }) =>
    api<Tool>('PATCH', `/tenants/${enc(tenant)}/servers/${enc(name)}/tools/${enc(tool)}`, { body }),
  listRoleAssignments: (query: { q?: string; cursor?: string; limit?: number }) => api<Page<RoleAssignment>>('GET', '/role-assignments', { query }),
  putRoleAssignment: (principalType: 'users' | 'clients', principalId: string, body: { role: Role; tenants?: 'all' | string[] }) =>
    api<RoleAssignment>('PUT', `/role-assignments/${principalType}/${enc(principalId)}`, { body }),
  deleteRoleAssignment: (principalType: 'users' | 'clients', principalId: string) => api<void>('DELETE', `/role-assignments/${principalType}/${enc(principalId)}`),
  listAdminUsers: (query: { q?: string; cursor?: string; limit?: number }) => api<Page<User>>('GET', '/admin-users', { query }),
  createAdminUser: (body: { email: string; password: string; displayName?: string }) => api<User>('POST', '/admin-users', { body }),
  enrollAdminTotp: (id: string) => api<{ otpauth_uri: string }>('POST', `/admin-users/${enc(id)}/totp`, { body: {} }),
};
