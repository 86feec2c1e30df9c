/** Scopes with a fixed meaning across the platform. Tool scopes are per tenant, from the tool catalogue. */
export const Scopes = {
  /** Connect to an MCP endpoint and list what it offers; the default scope of every MCP resource. */
  mcp: 'mcp',
  /** Ask for a refresh token. */
  offlineAccess: 'offline_access',
  /** The admin API of the auth server. */
  admin: 'admin',
  sessionsRead: 'sessions:read',
  sessionsWrite: 'sessions:write',
  sessionsAdmin: 'sessions:admin',
} as const;

export function parseScope(scope: string | undefined): Set<string> {
  return new Set((scope ?? '').split(' ').filter(Boolean));
}
