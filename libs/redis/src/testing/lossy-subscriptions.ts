import type { HotStore } from '../hot-store.js';

/**
 * A hot store whose subscriptions can lose their connection on demand: while `cut`, published messages
 * never reach them; `resubscribed()` then runs every `onResubscribed` the way the Redis store does once it
 * has subscribed again (libs/redis tests that on a real server). For testing what a subscriber does about
 * the gap, on any backend.
 */
export interface LossySubscriptions {
  readonly store: HotStore;
  cut: boolean;
  /** Messages that arrived while cut and were dropped (delivery is asynchronous: wait for it). */
  readonly dropped: number;
  resubscribed(): void;
}

export function withLossySubscriptions(inner: HotStore): LossySubscriptions {
  const callbacks: Array<() => void> = [];
  const subscribe: HotStore['subscribe'] = (channel, onMessage, options) => {
    if (options?.onResubscribed) callbacks.push(options.onResubscribed);
    return inner.subscribe(channel, (message) => (link.cut ? void (dropped += 1) : onMessage(message)), options);
  };
  let dropped = 0;
  const link: LossySubscriptions = {
    cut: false,
    get dropped() {
      return dropped;
    },
    resubscribed: () => callbacks.forEach((callback) => callback()),
    store: new Proxy(inner, {
      get(target, property) {
        if (property === 'subscribe') return subscribe;
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    }),
  };
  return link;
}
