import { clientRevokedEventSchema, GRANT_REVOKED_CHANNEL, grantRevokedEventSchema, REVOKED_CLIENT_KEY_PATTERN, REVOKED_GRANT_KEY_PATTERN } from '@airlock/contracts';
import type { HotStore } from '@airlock/redis';

const KEY_PREFIX = REVOKED_GRANT_KEY_PATTERN.replace(/\*$/, '');
/** A marker with neither a readable notAfter nor a TTL is kept this long. */
const FALLBACK_KEEP_SECONDS = 24 * 3600;
/** How soon a failed catch-up is tried again. */
const RETRY_MS = 1_000;

export interface RevokedGrantSetOptions {
  hot: HotStore;
  /** Rescans the hot store this often (and at once after the subscription was re-established). */
  resyncIntervalMs?: number;
  nowSeconds?: () => number;
  onError?: (error: unknown) => void;
}

/**
 * Every revoked (tenant, grant) pair, held in process so checking one costs no network call. Kept in sync
 * by `GRANT_REVOKED_CHANNEL` (within a second on every replica) and by rescanning the
 * `revokedGrantKey` markers at start and periodically; an entry goes after its `notAfter`, when no token of
 * the grant can be valid any more.
 *
 * The same feed carries client revocations (ClientRevokedEvent, `revokedClientKey` markers): a client's
 * revocation epoch, before which (by `iat`) every token of the client is refused.
 */
export class RevokedGrantSet {
  private readonly entries = new Map<string, number>();
  /** (tenant, client) -> { revokedBefore, notAfter }. */
  private readonly clients = new Map<string, { revokedBefore: number; notAfter: number }>();
  private readonly nowSeconds: () => number;
  private unsubscribe: (() => Promise<void>) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private starting: Promise<void> | undefined;
  /** Subscription gaps seen, and how many of them a later rescan has covered. */
  private gaps = 0;
  private coveredGaps = 0;
  private failing = false;

  constructor(private readonly options: RevokedGrantSetOptions) {
    this.nowSeconds = options.nowSeconds ?? (() => Date.now() / 1000);
  }

  /** Subscribes first, then loads the existing markers, so nothing published in between is missed. */
  start(): Promise<void> {
    this.starting ??= (async () => {
      this.unsubscribe = await this.options.hot.subscribe(GRANT_REVOKED_CHANNEL, (message) => this.onMessage(message), {
        onResubscribed: () => {
          this.gaps += 1;
          void this.catchUp();
        },
      });
      await this.resync();
      this.schedule();
    })().catch((error: unknown) => {
      this.starting = undefined;
      throw error;
    });
    return this.starting;
  }

  /**
   * Revocations published while the subscription was down are lost: the hot store says when it has
   * subscribed again (onResubscribed, however short the loss), and a rescan then catches up, retried every
   * second until one succeeds. A periodic rescan (every `resyncIntervalMs`) backs that up. This replaced a
   * once-a-second ping, which missed a loss shorter than its period and a loss of the subscriber connection
   * alone (the ping uses another), and added a round trip per second per replica.
   */
  private schedule(): void {
    const every = this.options.resyncIntervalMs ?? 30_000;
    let sinceResync = 0;
    this.timer = setInterval(() => {
      sinceResync += RETRY_MS;
      if (this.coveredGaps === this.gaps && sinceResync < every) return;
      sinceResync = 0;
      void this.catchUp();
    }, RETRY_MS);
    this.timer.unref();
  }

  /** A rescan that, once it succeeds, covers every gap seen before it began. */
  private async catchUp(): Promise<void> {
    const gaps = this.gaps;
    try {
      await this.resync();
      this.coveredGaps = Math.max(this.coveredGaps, gaps);
      this.failing = false;
    } catch (error) {
      // Once per outage: its retries say nothing new.
      if (!this.failing) this.options.onError?.(error);
      this.failing = true;
    }
  }

  has(tenant: string, grantId: string): boolean {
    const notAfter = this.entries.get(entryKey(tenant, grantId));
    if (notAfter === undefined) return false;
    if (notAfter < this.nowSeconds()) {
      this.entries.delete(entryKey(tenant, grantId));
      return false;
    }
    return true;
  }

  add(tenant: string, grantId: string, notAfter: number): void {
    const key = entryKey(tenant, grantId);
    this.entries.set(key, Math.max(notAfter, this.entries.get(key) ?? 0));
  }

  get size(): number {
    return this.entries.size;
  }

  /** True when the client's tokens issued at `issuedAt` (epoch seconds, the token's `iat`) or before are revoked. */
  isClientTokenRevoked(tenant: string, clientId: string, issuedAt: number): boolean {
    const key = entryKey(tenant, clientId);
    const entry = this.clients.get(key);
    if (!entry) return false;
    if (entry.notAfter < this.nowSeconds()) {
      this.clients.delete(key);
      return false;
    }
    return issuedAt <= entry.revokedBefore;
  }

  /** Keeps the latest epoch: a later revocation covers everything an earlier one did. */
  addClient(tenant: string, clientId: string, revokedBefore: number, notAfter: number): void {
    const key = entryKey(tenant, clientId);
    const existing = this.clients.get(key);
    this.clients.set(key, { revokedBefore: Math.max(revokedBefore, existing?.revokedBefore ?? 0), notAfter: Math.max(notAfter, existing?.notAfter ?? 0) });
  }

  async resync(): Promise<void> {
    await Promise.all([this.resyncGrants(), this.resyncClients()]);
  }

  private async resyncClients(): Promise<void> {
    const keys = await this.options.hot.scan(REVOKED_CLIENT_KEY_PATTERN);
    const values = keys.length > 0 ? await this.options.hot.mget(keys) : [];
    for (const value of values) {
      const event = parseClientEvent(value ?? null);
      if (event) this.addClient(event.tenant, event.clientId, event.revokedBefore, event.notAfter);
    }
    const now = this.nowSeconds();
    for (const [key, entry] of this.clients) if (entry.notAfter < now) this.clients.delete(key);
  }

  private async resyncGrants(): Promise<void> {
    const keys = await this.options.hot.scan(REVOKED_GRANT_KEY_PATTERN);
    const values = keys.length > 0 ? await this.options.hot.mget(keys) : [];
    const now = this.nowSeconds();
    await Promise.all(
      keys.map(async (key, index) => {
        const parsed = parseMarkerKey(key);
        if (!parsed) return;
        const event = parseEvent(values[index] ?? null);
        if (event) return this.add(parsed.tenant, parsed.grantId, event.notAfter);
        // A marker that holds only a reason: its TTL says how long the grant's tokens can live.
        const ttlMs = await this.options.hot.pttl(key);
        if (ttlMs === -2) return;
        this.add(parsed.tenant, parsed.grantId, now + (ttlMs > 0 ? ttlMs / 1000 : FALLBACK_KEEP_SECONDS));
      }),
    );
    for (const [key, notAfter] of this.entries) if (notAfter < now) this.entries.delete(key);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = undefined;
    this.starting = undefined;
    if (unsubscribe) await unsubscribe();
  }

  private onMessage(message: string): void {
    const event = parseEvent(message);
    if (event) return this.add(event.tenant, event.grantId, event.notAfter);
    const client = parseClientEvent(message);
    if (client) this.addClient(client.tenant, client.clientId, client.revokedBefore, client.notAfter);
  }
}

const entryKey = (tenant: string, grantId: string) => `${tenant}\u0000${grantId}`;

function parseMarkerKey(key: string): { tenant: string; grantId: string } | undefined {
  if (!key.startsWith(KEY_PREFIX)) return undefined;
  const rest = key.slice(KEY_PREFIX.length);
  // Tenant slugs have no colon; grant ids may.
  const colon = rest.indexOf(':');
  if (colon <= 0 || colon === rest.length - 1) return undefined;
  return { tenant: rest.slice(0, colon), grantId: rest.slice(colon + 1) };
}

function parseEvent(raw: string | null) {
  if (!raw) return undefined;
  try {
    const result = grantRevokedEventSchema.safeParse(JSON.parse(raw));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}

function parseClientEvent(raw: string | null) {
  if (!raw) return undefined;
  try {
    const result = clientRevokedEventSchema.safeParse(JSON.parse(raw));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}
