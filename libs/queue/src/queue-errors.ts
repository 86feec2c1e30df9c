/** The queue's backing store cannot be reached; callers fail closed (503) and may retry later. */
export class QueueUnavailableError extends Error {
  readonly code = 'queue_unavailable';

  constructor(detail: string, options?: { cause?: unknown }) {
    super(`queue unavailable: ${detail}`, options);
    this.name = 'QueueUnavailableError';
  }
}
