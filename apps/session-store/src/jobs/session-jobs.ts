import { z } from 'zod';
import { sessionSchema } from '@airlock/contracts';

/** Job names on `Queues.sessions`. `grant.revoked` is enqueued by the auth server (data: GrantRevokedEvent). */
export const SessionJobs = {
  /** Durable snapshot of a session (create, bindings changed, ended). */
  upsert: 'session.upsert',
  /** Batched last-seen stamps. */
  seen: 'session.seen',
  grantRevoked: 'grant.revoked',
  /** Enqueued by the auth server when a client is deleted or disabled (data: ClientRevokedEvent). */
  clientRevoked: 'client.revoked',
  expirySweep: 'sessions.expiry-sweep',
} as const;

/** `version` orders snapshots of one session: the durable row keeps the newest whatever order jobs run in. */
export const upsertJobSchema = z.object({ session: sessionSchema, version: z.number().int().nonnegative() });
export type UpsertJob = z.infer<typeof upsertJobSchema>;

export const seenJobSchema = z.object({ entries: z.array(z.object({ id: z.string(), lastSeenAt: z.string() })) });
export type SeenJob = z.infer<typeof seenJobSchema>;
