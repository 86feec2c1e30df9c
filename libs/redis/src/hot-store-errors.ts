/**
 * The hot store cannot be reached (Redis down, connection lost mid-command, client closed). Callers map
 * it to a 503 and fail closed; the store reconnects by itself, so the next call may succeed.
 */
export class HotStoreUnavailableError extends Error {
  readonly code = 'hot_store_unavailable';

  constructor(detail: string, options?: { cause?: unknown }) {
    super(`hot store unavailable: ${detail}`, options);
    this.name = 'HotStoreUnavailableError';
  }
}
