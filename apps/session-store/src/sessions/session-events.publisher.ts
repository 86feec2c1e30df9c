import { SESSION_EVENTS_CHANNEL } from '@airlock/contracts';
import type { SessionEndedEvent } from '@airlock/contracts';
import type { HotStore } from '@airlock/redis';

/** Announces ended sessions to every gateway replica (pub/sub: at most once, so caches also expire on their own). */
export class SessionEventsPublisher {
  constructor(private readonly hot: HotStore) {}

  async ended(events: readonly SessionEndedEvent[]): Promise<void> {
    await Promise.all(events.map((event) => this.hot.publish(SESSION_EVENTS_CHANNEL, JSON.stringify(event))));
  }
}
