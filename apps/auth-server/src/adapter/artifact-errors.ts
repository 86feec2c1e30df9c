import { errors } from 'oidc-provider';

/**
 * A consume that lost a race: another request consumed the same code or refresh token first. Raised from
 * the adapter so exactly one of many parallel redemptions succeeds; renders as `invalid_grant`.
 */
export class ArtifactAlreadyConsumedError extends errors.InvalidGrant {
  constructor(
    readonly model: string,
    readonly artifactId: string,
    /** The grant the contested artifact came from, so a replayed code can revoke it. */
    readonly grantId: string | undefined,
  ) {
    super(`${model === 'AuthorizationCode' ? 'authorization code' : model === 'RefreshToken' ? 'refresh token' : 'artifact'} already consumed`);
  }
}
