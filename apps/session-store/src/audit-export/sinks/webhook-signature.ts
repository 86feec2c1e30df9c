import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * `Airlock-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. The timestamp is
 * signed with the body so a captured request cannot be replayed later than the receiver's tolerance.
 */
export const SIGNATURE_HEADER = 'airlock-signature';

export function signWebhookBody(secret: string, body: string, timestampSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`, 'utf8').digest('hex');
  return `t=${timestampSeconds},v1=${mac}`;
}

export interface VerifyOptions {
  /** Oldest (and most future) timestamp accepted, in seconds from now. Default 300. */
  toleranceSeconds?: number;
  nowSeconds?: number;
}

/** What a receiver does: recompute the MAC over the raw body and compare in constant time; check the age. */
export function verifyWebhookSignature(secret: string, header: string | undefined, body: string, options: VerifyOptions = {}): boolean {
  if (!header) return false;
  const parts = new Map<string, string[]>();
  for (const item of header.split(',')) {
    const at = item.indexOf('=');
    if (at <= 0) continue;
    const key = item.slice(0, at).trim();
    parts.set(key, [...(parts.get(key) ?? []), item.slice(at + 1).trim()]);
  }
  const t = Number(parts.get('t')?.[0]);
  if (!Number.isInteger(t)) return false;
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - t) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${body}`, 'utf8').digest('hex'), 'utf8');
  // Several v1 values may come while a secret is being rotated; any one matching is enough.
  return (parts.get('v1') ?? []).some((candidate) => {
    const given = Buffer.from(candidate, 'utf8');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
