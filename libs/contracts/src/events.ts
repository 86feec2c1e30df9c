import { z } from 'zod';

// Cross-service events and the hot-store keys they refer to. Publishers and subscribers both import
// these names; nothing spells a channel or key by hand.

/** Published when a grant is revoked (user revoked a client, a code or refresh token was replayed, an admin acted). */
export const GRANT_REVOKED_CHANNEL = 'airlock:events:grant-revoked';

export const grantRevokedEventSchema = z.object({
  tenant: z.string(),
  grantId: z.string(),
  reason: z.enum(['user_revoked', 'token_replayed', 'admin_revoked', 'client_deleted', 'user_deleted', 'tenant_deleted']),
  /** Epoch seconds after which no access token of the grant can still be valid; the record may go then. */
  notAfter: z.number(),
});
export type GrantRevokedEvent = z.infer<typeof grantRevokedEventSchema>;

/** Hot-store key marking a revoked grant, kept until `notAfter`. */
export function revokedGrantKey(tenant: string, grantId: string): string {
  return `revoked-grant:${tenant}:${grantId}`;
}
export const REVOKED_GRANT_KEY_PATTERN = 'revoked-grant:*';

/**
 * Published on GRANT_REVOKED_CHANNEL too (one revocation feed, one subscription per replica) when every
 * token a client holds is revoked at once: the client was deleted or disabled, or an admin revoked it.
 * Tokens of the client issued at or before `revokedBefore` (their `iat`) are refused; client_credentials
 * tokens have no grant of their own to revoke, so this is how they die with their client.
 */
export const clientRevokedEventSchema = z.object({
  tenant: z.string(),
  clientId: z.string(),
  reason: z.enum(['client_deleted', 'client_disabled', 'admin_revoked', 'tenant_deleted']),
  /** Epoch seconds: tokens with `iat` <= this are revoked. */
  revokedBefore: z.number(),
  /** Epoch seconds after which no token issued before `revokedBefore` can still be valid; the record may go then. */
  notAfter: z.number(),
});
export type ClientRevokedEvent = z.infer<typeof clientRevokedEventSchema>;

/** Hot-store key holding a client's revocation epoch (a ClientRevokedEvent as JSON), kept until `notAfter`. */
export function revokedClientKey(tenant: string, clientId: string): string {
  return `revoked-client:${tenant}:${clientId}`;
}
export const REVOKED_CLIENT_KEY_PATTERN = 'revoked-client:*';

/** The grant id a client_credentials token carries (it has no oidc-provider Grant): revocable like any grant. */
export const CLIENT_CREDENTIALS_GRANT_PREFIX = 'cc.';

/** Published by the session store whenever a session stops being usable. */
export const SESSION_EVENTS_CHANNEL = 'airlock:events:session';

export const sessionEndedEventSchema = z.object({
  type: z.enum(['session.revoked', 'session.expired']),
  tenant: z.string(),
  sessionId: z.string(),
  reason: z.string(),
  at: z.string(),
});
export type SessionEndedEvent = z.infer<typeof sessionEndedEventSchema>;

/**
 * Published by the auth server when an admin changes what a tenant's MCP endpoints offer: an upstream
 * server created, changed (url, enabled, credentials) or deleted, its tool catalogue replaced, a tool's
 * required scopes changed, or the tenant deleted. `server` names the one server concerned; without it,
 * everything of the tenant may have changed. Subscribers drop what they cached for it and re-read.
 */
export const CATALOG_CHANGED_CHANNEL = 'airlock:events:catalog-changed';

export const catalogChangedEventSchema = z.object({
  tenant: z.string(),
  server: z.string().optional(),
});
export type CatalogChangedEvent = z.infer<typeof catalogChangedEventSchema>;

/**
 * Published (the tenant slug, as the message) by the auth server when a tenant row changes or goes: created,
 * settings or registration policy updated, keys rotated, deleted. Every app's TenantDirectory drops the slug.
 */
export const TENANT_CHANGED_CHANNEL = 'airlock:events:auth-tenant-changed';

/**
 * Published (the tenant slug, as the message) by the auth server when a tenant's call policy was saved.
 * Every gateway replica drops its compiled copy and loads the new version before the tenant's next call.
 */
export const POLICY_CHANGED_CHANNEL = 'airlock:events:call-policy-changed';

/** Queue names (BullMQ or the embedded stand-in). */
export const Queues = {
  /** Session lifecycle work: grant revocations, durable writes, expiry sweeps. */
  sessions: 'sessions',
  /** Durable audit records, written off the request path. */
  audit: 'audit',
  /** The auth server's housekeeping (expired oidc-provider artifacts, revoked-grant records, retired keys). */
  auth: 'auth',
} as const;

/** The job on `Queues.audit` that writes one AuditEvent durably (any service enqueues it, the session store's worker writes it). */
export const AUDIT_RECORD_JOB = 'audit.record';
