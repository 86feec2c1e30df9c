import { z } from 'zod';

// The session model shared by the session store (owner), its client library (the gateway) and the admin
// console. Timestamps are ISO 8601 strings on the wire.

/** At least 128 random bits in visible ASCII (MCP requires 0x21-0x7E). */
export const sessionIdSchema = z.string().regex(/^[\x21-\x7e]{22,128}$/, { error: 'not a session id' });

export const sessionKindSchema = z.enum(['mcp', 'login']);
export const sessionStateSchema = z.enum(['active', 'revoked', 'expired']);

export const upstreamBindingSchema = z.object({
  server: z.string(),
  upstreamSessionId: z.string().optional(),
  protocolVersion: z.string().optional(),
});

export const sessionSchema = z.object({
  id: sessionIdSchema,
  tenant: z.string(),
  kind: sessionKindSchema,
  subject: z.string(),
  clientId: z.string(),
  grantId: z.string().optional(),
  protocolVersion: z.string().optional(),
  clientInfo: z.record(z.string(), z.unknown()).optional(),
  capabilities: z.record(z.string(), z.unknown()).optional(),
  upstreams: z.array(upstreamBindingSchema).default([]),
  createdAt: z.string(),
  lastSeenAt: z.string(),
  idleTimeoutSeconds: z.number().int().positive(),
  expiresAt: z.string(),
  state: sessionStateSchema,
  endedReason: z.string().optional(),
  endedAt: z.string().optional(),
});
export type Session = z.infer<typeof sessionSchema>;

export const createSessionRequestSchema = z.object({
  kind: sessionKindSchema.default('mcp'),
  subject: z.string().min(1),
  clientId: z.string().min(1),
  grantId: z.string().optional(),
  /** `iat` of the access token the session is opened with: refused if its client was revoked since (epoch seconds). */
  tokenIssuedAt: z.number().int().optional(),
  protocolVersion: z.string().optional(),
  clientInfo: z.record(z.string(), z.unknown()).optional(),
  capabilities: z.record(z.string(), z.unknown()).optional(),
  upstreams: z.array(upstreamBindingSchema).optional(),
  idleTimeoutSeconds: z.number().int().positive().max(86_400).optional(),
  lifetimeSeconds: z.number().int().positive().max(30 * 86_400).optional(),
});
export type CreateSessionRequest = z.infer<typeof createSessionRequestSchema>;

export const listSessionsQuerySchema = z
  .object({
    subject: z.string().optional(),
    clientId: z.string().optional(),
    grantId: z.string().optional(),
    state: sessionStateSchema.optional(),
    cursor: z.string().optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();
export type ListSessionsQuery = z.infer<typeof listSessionsQuerySchema>;

export const revokeSessionsRequestSchema = z
  .object({
    subject: z.string().optional(),
    clientId: z.string().optional(),
    grantId: z.string().optional(),
    reason: z.string().max(200).default('revoked'),
  })
  .refine((body) => [body.subject, body.clientId, body.grantId].filter(Boolean).length === 1, {
    error: 'exactly one of subject, clientId or grantId is required',
  });
export type RevokeSessionsRequest = z.infer<typeof revokeSessionsRequestSchema>;

export const pageSchema = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });

/** What may change after create: the gateway binds upstream sessions and records what was negotiated. */
export const updateSessionRequestSchema = z
  .object({
    upstreams: z.array(upstreamBindingSchema).max(100).optional(),
    protocolVersion: z.string().max(64).optional(),
    clientInfo: z.record(z.string(), z.unknown()).optional(),
    capabilities: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type UpdateSessionRequest = z.infer<typeof updateSessionRequestSchema>;

/** Batched touches (the gateway's client coalesces them); the answer lists the ids that are still live. */
export const touchSessionsRequestSchema = z.object({ ids: z.array(sessionIdSchema).min(1).max(500) }).strict();
export type TouchSessionsRequest = z.infer<typeof touchSessionsRequestSchema>;
export const touchSessionsResponseSchema = z.object({ live: z.array(sessionIdSchema) });

export const revokeSessionRequestSchema = z.object({ reason: z.string().max(200).default('revoked') }).strict();
export type RevokeSessionRequest = z.infer<typeof revokeSessionRequestSchema>;
export const revokeSessionsResponseSchema = z.object({ revoked: z.number().int().nonnegative() });
