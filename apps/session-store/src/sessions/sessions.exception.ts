/** What went wrong in the sessions context; the controller maps codes to HTTP statuses. */
export type SessionsErrorCode = 'not_found' | 'temporarily_unavailable' | 'invalid_request';

export class SessionsError extends Error {
  constructor(
    readonly code: SessionsErrorCode,
    readonly description: string,
    options?: { cause?: unknown },
  ) {
    super(description, options);
    this.name = 'SessionsError';
  }
}
