import { afterEach, describe, expect, it } from 'vitest';
import { MemoryHotStoreHub } from '@airlock/redis';
import type { HotStore } from '@airlock/redis';
import { ReplicaBus } from './replica-bus.js';
import type { ForwardedMessage } from './replica-bus.js';

const message: ForwardedMessage = { tenant: 't', sessionId: 's', streamId: 'x', messages: [{ jsonrpc: '2.0', id: 1, method: 'ping' }], grantedScopes: [] };

describe('ReplicaBus forwarding', () => {
  const hub = new MemoryHotStoreHub();
  const buses: ReplicaBus[] = [];
  const start = async (onMessage: (forwarded: ForwardedMessage) => void = () => undefined) => {
    const bus = new ReplicaBus(hub.client({ keyPrefix: 'bus:' }) as HotStore);
    await bus.start(onMessage);
    buses.push(bus);
    return bus;
  };
  afterEach(async () => {
    for (const bus of buses.splice(0)) await bus.close();
  });

  it('takes a resent message once and acknowledges every copy', async () => {
    const taken: ForwardedMessage[] = [];
    const home = await start((forwarded) => taken.push(forwarded));
    const sender = await start();
    const id = ReplicaBus.newForwardId();
    expect(await sender.forward(home.replicaId, id, message, 1_000)).toBe(true);
    expect(await sender.forward(home.replicaId, id, message, 1_000)).toBe(true);
    expect(taken).toEqual([message]);
  });

  it('a released home takes nothing and acknowledges nothing (the sender adopts), and says so in its heartbeat', async () => {
    const taken: ForwardedMessage[] = [];
    const home = await start((forwarded) => taken.push(forwarded));
    const sender = await start();
    await home.release();
    expect(await sender.forward(home.replicaId, ReplicaBus.newForwardId(), message, 100)).toBe(false);
    expect(taken).toEqual([]);
    expect(await sender.holdsSessions(home.replicaId)).toBe(false);
    expect(await sender.isAlive(home.replicaId)).toBe(true);
  });

  it('one replica wins the claim on a session per previous home', async () => {
    const [a, b] = [await start(), await start()];
    expect(await Promise.all([a.claim('s', 'gone'), b.claim('s', 'gone')])).toEqual([true, false]);
    expect(await b.claim('s', a.replicaId)).toBe(true);
  });
});
