/** What went wrong with a state handle; the controller maps codes to HTTP statuses. */
export type StateHandlesErrorCode = 'not_found' | 'conflict' | 'invalid_request' | 'temporarily_unavailable';

export class StateHandlesError extends Error {
  constructor(
    readonly code: StateHandlesErrorCode,
    readonly description: string,
    options?: { cause?: unknown },
  ) {
    super(description, options);
    this.name = 'StateHandlesError';
  }
}
