import { randomBytes } from 'node:crypto';
import { createRedisHotStore, MemoryHotStoreHub } from '@airlock/redis';
import type { HotStore } from '@airlock/redis';
import { testRedisUrl } from '@airlock/redis/testing';

export interface TestHotStore extends HotStore {
  /** The key prefix this store lives under (unique per call). */
  readonly keyPrefix: string;
  /**
   * Another client of the same backend and prefix: a second replica's connection (on Redis) or a second
   * client of the same in-process hub. Closed with this store.
   */
  peer(): HotStore;
}

/**
 * A hot store of its own: real Redis under a unique `test:<random>:` prefix when REDIS_URL is set (or at
 * `redisUrl`, e.g. a throwaway server), the in-process stand-in otherwise. close() deletes the prefix's keys
 * and closes every peer.
 */
export function createTestHotStore(options: { redisUrl?: string | undefined } = {}): TestHotStore {
  const keyPrefix = `test:${randomBytes(6).toString('hex')}:`;
  const url = options.redisUrl ?? testRedisUrl;
  const hub = url ? undefined : new MemoryHotStoreHub();
  const open = (): HotStore => (url ? createRedisHotStore({ url, keyPrefix }) : (hub as MemoryHotStoreHub).client({ keyPrefix }));
  const main = open();
  const peers: HotStore[] = [];
  let closed = false;
  return extend(main, {
    keyPrefix,
    peer: () => {
      const peer = open();
      peers.push(peer);
      return peer;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await Promise.all(peers.map((p) => p.close()));
      if (url) await main.scan('*').then((keys) => main.del(...keys), () => 0);
      await main.close();
      hub?.close();
    },
  });
}

/**
 * `target` with some members added or replaced; every other method still runs with `this` = target (a
 * prototype-based copy would let the target's own writes land on the copy).
 * @internal shared with test-queues.ts
 */
export function extend<T extends object, E extends object>(target: T, extension: E): T & E {
  return new Proxy(target, {
    get(object, property) {
      if (Object.prototype.hasOwnProperty.call(extension, property)) return (extension as Record<PropertyKey, unknown>)[property];
      const value: unknown = Reflect.get(object, property, object);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(object) : value;
    },
  }) as T & E;
}
