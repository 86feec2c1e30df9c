import { z } from 'zod';

// A state handle stands in for a session when a 2026-07-28 (stateless) client uses a 2025-11-25
// (sessionful) upstream through the gateway: the gateway parks the upstream call that is waiting for a
// sampling / elicitation / roots answer, hands the client an `input_required` result whose
// `requestState` is the handle, and resumes the parked call when the client retries with the answers.
// Minted by the gateway, stored in the session store under `<subject>:<handle>` so another principal's
// retry finds nothing, and short-lived.

/** 128 random bits, base64url: the opaque `requestState` a new-era client echoes back. */
export const stateHandleIdSchema = z.string().regex(/^[A-Za-z0-9_-]{22,64}$/, { error: 'not a state handle' });

/** One server-to-client request the parked upstream call is waiting on, under its `inputRequests` key. */
export const pendingInputSchema = z.object({
  key: z.string().min(1),
  upstreamRequestId: z.union([z.string(), z.number()]),
  method: z.enum(['sampling/createMessage', 'elicitation/create', 'roots/list']),
  /** The request's params as the client saw them, so a missing or invalid answer can be asked for again. */
  params: z.record(z.string(), z.unknown()),
});

export const stateHandleSchema = z.object({
  handle: stateHandleIdSchema,
  tenant: z.string().min(1),
  subject: z.string().min(1),
  clientId: z.string().min(1),
  /** The hosted server (upstream) and the upstream session the parked call runs in. */
  server: z.string().min(1),
  upstreamSessionId: z.string().optional(),
  /** The parked upstream request (the client's original call, re-issued by the gateway). */
  upstreamRequestId: z.union([z.string(), z.number()]),
  /** Binds the retry to the originating request: its method, target name and a digest of its params. */
  request: z.object({ method: z.string(), name: z.string().optional(), digest: z.string() }),
  pending: z.array(pendingInputSchema).min(1),
  /** Gateway replica holding the parked call; a retry landing elsewhere is forwarded there. */
  owner: z.string().min(1),
  round: z.number().int().min(1),
  createdAt: z.iso.datetime(),
  /** The record lives exactly this long (the session store's TTL). */
  expiresAt: z.iso.datetime(),
});
export type StateHandle = z.infer<typeof stateHandleSchema>;
export type PendingInput = z.infer<typeof pendingInputSchema>;

/** Storage key of a state handle: bound to the subject, so only the principal it was minted for can use it. */
export function stateHandleKey(subject: string, handle: string): string {
  return `${subject}:${handle}`;
}
