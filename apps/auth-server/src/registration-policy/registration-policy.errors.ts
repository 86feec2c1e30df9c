import { ClientMetadataError } from '../client-metadata/client-metadata-resolver.js';

/** A registration refused by a rate limit: 429 with `Retry-After: retryAfterSeconds`. */
export class RegistrationRateLimitedError extends ClientMetadataError {
  constructor(
    readonly scope: 'ip' | 'tenant',
    readonly retryAfterSeconds: number,
  ) {
    super('rate_limited', `too many client registrations from this ${scope === 'ip' ? 'address' : 'tenant'}; retry later`);
    this.name = 'RegistrationRateLimitedError';
  }
}

/** HTTP status for a refusal from the auth-ui services (what auth-core's error mapping should use). */
export function clientMetadataErrorStatus(error: ClientMetadataError): number {
  switch (error.error) {
    case 'rate_limited':
      return 429;
    case 'access_denied':
      return 403;
    case 'invalid_client':
      return 401;
    default:
      return 400;
  }
}
