import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { z } from 'zod';
import type { HotStore } from '@airlock/redis';
import { HOT_STORE } from '../../infra/infra.tokens.js';

/** How long a person may spend at the IdP between the AuthnRequest and the response. */
export const PENDING_REQUEST_TTL_MS = 10 * 60 * 1000;
/** How long the browser has from the ACS to the finish step (one redirect). */
const VERIFIED_TTL_MS = 2 * 60 * 1000;

const pendingSchema = z.object({ providerId: z.string(), interactionUid: z.string(), requestId: z.string() });
export type PendingAuthnRequest = z.infer<typeof pendingSchema>;

const verifiedSchema = z.object({
  providerId: z.string(),
  interactionUid: z.string(),
  /** The RelayState the response answered: the finish step's browser must hold it (state cookie). */
  relayState: z.string(),
  identity: z.object({
    providerId: z.string(),
    issuer: z.string(),
    subject: z.string(),
    email: z.string().optional(),
    emailVerified: z.boolean(),
    displayName: z.string().optional(),
    groups: z.array(z.string()).readonly(),
  }),
});
/**
 * A response the ACS verified, kept under a fresh ticket that only the browser which posted it learns (its
 * redirect to the finish step), waiting for that browser to come back with the state cookie too.
 */
export type VerifiedResponse = z.infer<typeof verifiedSchema>;

/** 256 random bits, URL-safe: RelayState values and request IDs (an xs:ID must not start with a digit). */
export function randomHandle(): string {
  return randomBytes(32).toString('base64url');
}

function verifiedKey(ticket: string): string {
  return `saml:verified:${createHash('sha256').update(ticket).digest('base64url')}`;
}

function parsed<T>(schema: z.ZodType<T>, raw: string | null): T | undefined {
  if (raw === null) return undefined;
  const result = schema.safeParse(JSON.parse(raw));
  return result.success ? result.data : undefined;
}

/**
 * SAML state in the hot store, shared by every replica: outstanding AuthnRequests by RelayState (single
 * use: GETDEL), the identity the ACS verified waiting for the browser's finish step (by ticket, single use), and the assertion-ID
 * replay cache (SET NX, kept until the assertion could no longer be accepted anyway).
 */
@Injectable()
export class SamlStateStore {
  constructor(@Inject(HOT_STORE) private readonly hot: HotStore) {}

  async savePending(relayState: string, pending: PendingAuthnRequest): Promise<void> {
    await this.hot.set(`saml:pending:${relayState}`, JSON.stringify(pending), { ttlMs: PENDING_REQUEST_TTL_MS });
  }

  async takePending(relayState: string): Promise<PendingAuthnRequest | undefined> {
    return parsed(pendingSchema, await this.hot.getDel(`saml:pending:${relayState}`));
  }

  async saveVerified(ticket: string, verified: VerifiedResponse): Promise<void> {
    await this.hot.set(verifiedKey(ticket), JSON.stringify(verified), { ttlMs: VERIFIED_TTL_MS });
  }

  /** Single use: any try spends it, from the right browser or not. */
  async takeVerified(ticket: string): Promise<VerifiedResponse | undefined> {
    return parsed(verifiedSchema, await this.hot.getDel(verifiedKey(ticket)));
  }

  /** true the first time an assertion ID of this provider is seen; false on every replay until `untilMs`. */
  async firstUse(providerId: string, assertionId: string, untilMs: number, nowMs: number): Promise<boolean> {
    const key = `saml:assertion:${providerId}:${createHash('sha256').update(assertionId).digest('base64url')}`;
    return this.hot.set(key, '1', { ttlMs: Math.max(1000, untilMs - nowMs), onlyIfAbsent: true });
  }
}
