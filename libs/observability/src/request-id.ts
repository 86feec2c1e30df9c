import { randomUUID } from 'node:crypto';

export const REQUEST_ID_HEADER = 'x-request-id';

// What a proxy or client may send as a request id: short and log-safe (no spaces, quotes or control
// characters that could forge log fields or break a header).
const SANE_REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

export function newRequestId(): string {
  return randomUUID();
}

/** The incoming `x-request-id` when it is sane, otherwise a fresh one. */
export function resolveRequestId(incoming: string | string[] | undefined): string {
  const candidate = Array.isArray(incoming) ? incoming[0] : incoming;
  return candidate !== undefined && SANE_REQUEST_ID.test(candidate) ? candidate : newRequestId();
}
