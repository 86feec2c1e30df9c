import { stateHandleKey, stateHandleSchema } from '@airlock/contracts';
import type { StateHandle } from '@airlock/contracts';
import type { HotStore } from '@airlock/redis';

/**
 * Where the state handles of parked calls live, keyed by tenant, subject and handle (another principal's
 * lookup finds nothing). Production: the session store (`SessionClient.stateHandles`); a standalone
 * gateway and the gateway's own tests (`tuning.sessions = 'local'`): the hot store, below.
 */
export interface ParkedCallHandles {
  put(record: StateHandle): Promise<void>;
  get(tenant: string, subject: string, handle: string): Promise<StateHandle | null>;
  /** Deletes and returns the handle; of two concurrent consumers, one gets it. */
  consume(tenant: string, subject: string, handle: string): Promise<StateHandle | null>;
}

/** Handles in the gateway's hot store (`gw:state:<tenant>:<subject>:<handle>`), when there is no session store. */
export class LocalParkedCallHandles implements ParkedCallHandles {
  constructor(private readonly hot: HotStore) {}

  private key(tenant: string, subject: string, handle: string): string {
    return `gw:state:${tenant}:${stateHandleKey(subject, handle)}`;
  }

  async put(record: StateHandle): Promise<void> {
    const ttlMs = Date.parse(record.expiresAt) - Date.now();
    if (ttlMs <= 0) return;
    const written = await this.hot.set(this.key(record.tenant, record.subject, record.handle), JSON.stringify(record), { ttlMs, onlyIfAbsent: true });
    if (!written) throw new Error('state handle collision');
  }

  async get(tenant: string, subject: string, handle: string): Promise<StateHandle | null> {
    return parse(await this.hot.get(this.key(tenant, subject, handle)));
  }

  async consume(tenant: string, subject: string, handle: string): Promise<StateHandle | null> {
    return parse(await this.hot.getDel(this.key(tenant, subject, handle)));
  }
}

function parse(raw: string | null): StateHandle | null {
  if (!raw) return null;
  try {
    const result = stateHandleSchema.safeParse(JSON.parse(raw));
    return result.success ? result.data : null;
  } catch {
    return null;
  }
}
