import type { StateHandle } from '@airlock/contracts';
import type { StateHandleHotRepository } from './state-handle-hot.repository.js';
import { StateHandlesError } from './state-handles.exception.js';

/** Longest a handle may live: a parked upstream call waits minutes for a client's retry, not hours. */
export const MAX_STATE_HANDLE_TTL_MS = 60 * 60_000;

/**
 * State handles that stand in for sessions between a 2026-07-28 client and a 2025-11-25 upstream
 * (minted by the gateway): created once, read, consumed once. Keyed by tenant, subject and handle, so a
 * lookup by another principal finds nothing.
 */
export class StateHandlesService {
  constructor(
    private readonly hot: StateHandleHotRepository,
    private readonly now: () => number = Date.now,
  ) {}

  async create(tenant: string, record: StateHandle): Promise<StateHandle> {
    if (record.tenant !== tenant) throw new StateHandlesError('invalid_request', 'tenant: must be the tenant of the path');
    const ttlMs = Date.parse(record.expiresAt) - this.now();
    if (ttlMs <= 0) throw new StateHandlesError('invalid_request', 'expiresAt: must be in the future');
    if (ttlMs > MAX_STATE_HANDLE_TTL_MS) throw new StateHandlesError('invalid_request', `expiresAt: at most ${MAX_STATE_HANDLE_TTL_MS / 60_000} minutes ahead`);
    const written = await unavailableOnFailure(() => this.hot.put(record, ttlMs));
    if (!written) throw new StateHandlesError('conflict', 'a state handle with this subject and handle exists');
    return record;
  }

  async get(tenant: string, subject: string, handle: string): Promise<StateHandle> {
    return (await unavailableOnFailure(() => this.hot.get(tenant, subject, handle))) ?? notFound();
  }

  /** Deletes the handle and returns what it held: a handle is redeemed at most once. */
  async consume(tenant: string, subject: string, handle: string): Promise<StateHandle> {
    return (await unavailableOnFailure(() => this.hot.consume(tenant, subject, handle))) ?? notFound();
  }
}

function notFound(): never {
  throw new StateHandlesError('not_found', 'no such state handle');
}

async function unavailableOnFailure<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new StateHandlesError('temporarily_unavailable', 'state handles cannot be reached right now', { cause: error });
  }
}
