import type { Logger } from '@airlock/observability';
import type { SessionDurableRepository } from '../sessions/session-durable.repository.js';
import type { SessionEventsPublisher } from '../sessions/session-events.publisher.js';
import type { SessionHotRepository } from '../sessions/session-hot.repository.js';

const BATCH = 500;

/**
 * Marks durable records expired once their live record is gone (idle) or their lifetime is over, and
 * announces each once. Postgres only learns of touches every flush period, so an apparently idle row
 * whose live record still exists is alive: its last-seen is brought forward instead.
 */
export class ExpirySweep {
  constructor(
    private readonly durable: SessionDurableRepository,
    private readonly hot: SessionHotRepository,
    private readonly events: SessionEventsPublisher,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  async run(): Promise<number> {
    let expired = 0;
    for (;;) {
      const now = new Date(this.now());
      const candidates = await this.durable.expiryCandidates(now, BATCH);
      if (candidates.length === 0) break;
      const byTenant = new Map<string, typeof candidates>();
      for (const candidate of candidates) byTenant.set(candidate.tenant, [...(byTenant.get(candidate.tenant) ?? []), candidate]);
      const stillLive: Array<{ id: string; lastSeenAt: string }> = [];
      const reasons = new Map<string, string>();
      for (const [tenant, group] of byTenant) {
        const live = await this.hot.getMany(
          tenant,
          group.map((c) => c.id),
        );
        group.forEach((candidate, index) => {
          const record = live[index];
          const pastLifetime = candidate.expiresAt.getTime() <= now.getTime();
          if (record && !pastLifetime) stillLive.push({ id: candidate.id, lastSeenAt: record.session.lastSeenAt });
          else reasons.set(candidate.id, pastLifetime ? 'lifetime_exceeded' : 'idle_timeout');
        });
      }
      // A live session whose stamp has not moved past the idle window since the last flush would come back
      // every sweep; bring it to now, since the live record proves it is not idle.
      await this.durable.recordLastSeen(stillLive.map((entry) => ({ id: entry.id, lastSeenAt: maxIso(entry.lastSeenAt, now) })));
      const ended = await this.durable.markExpired([...reasons.keys()], reasons, now);
      const endedSet = new Set(ended);
      const endedCandidates = candidates.filter((c) => endedSet.has(c.id));
      await this.hot.remove(endedCandidates.map((c) => ({ tenant: c.tenant, id: c.id, subject: c.subject, clientId: c.clientId, grantId: c.grantId })));
      await this.events.ended(
        endedCandidates.map((c) => ({ type: 'session.expired', tenant: c.tenant, sessionId: c.id, reason: reasons.get(c.id) ?? 'expired', at: now.toISOString() })),
      );
      expired += ended.length;
      if (candidates.length < BATCH) break;
    }
    if (expired > 0) this.logger.info({ expired }, 'sessions expired');
    return expired;
  }
}

const maxIso = (iso: string, now: Date) => (iso > now.toISOString() ? iso : now.toISOString());
