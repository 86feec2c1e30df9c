import type { StateHandle } from '@airlock/contracts';
import type { HotStore } from '@airlock/redis';
import { parseStateHandle, stateHandleRecordKey } from '@airlock/session-client';

/**
 * State handles in the hot store only: they live minutes and are redeemed once, so no Postgres row (a
 * handle lost with Redis is a retry the client must start over, like a lost upstream session).
 */
export class StateHandleHotRepository {
  constructor(private readonly hot: HotStore) {}

  /** Writes the record unless one exists under its key; false when it does. */
  put(record: StateHandle, ttlMs: number): Promise<boolean> {
    return this.hot.set(stateHandleRecordKey(record.tenant, record.subject, record.handle), JSON.stringify(record), { ttlMs, onlyIfAbsent: true });
  }

  async get(tenant: string, subject: string, handle: string): Promise<StateHandle | null> {
    return parseStateHandle(await this.hot.get(stateHandleRecordKey(tenant, subject, handle)));
  }

  /** Reads and deletes in one command (GETDEL): of two concurrent consumers, one gets the record. */
  async consume(tenant: string, subject: string, handle: string): Promise<StateHandle | null> {
    return parseStateHandle(await this.hot.getDel(stateHandleRecordKey(tenant, subject, handle)));
  }
}
