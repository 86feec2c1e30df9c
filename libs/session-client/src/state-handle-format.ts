import { stateHandleKey, stateHandleSchema } from '@airlock/contracts';
import type { StateHandle } from '@airlock/contracts';

// How the session store keeps a state handle in the hot store. The store writes it (create, consume);
// the gateway's client reads it directly (one round trip, no HTTP hop). Both import it from here.

/** `state-handle:<tenant>:<subject>:<handle>`: tenant- and subject-bound, so another principal's lookup finds nothing. */
export const stateHandleRecordKey = (tenant: string, subject: string, handle: string) => `state-handle:${tenant}:${stateHandleKey(subject, handle)}`;

/** Parses a stored record; null when absent or unreadable. */
export function parseStateHandle(record: string | null): StateHandle | null {
  if (!record) return null;
  let json: unknown;
  try {
    json = JSON.parse(record);
  } catch {
    return null;
  }
  const parsed = stateHandleSchema.safeParse(json);
  return parsed.success ? parsed.data : null;
}
