import { errors } from 'oidc-provider';

/**
 * `invalid_grant` with a precise description: oidc-provider's InvalidGrant always says "grant request is
 * invalid" and keeps its argument as an unexposed detail, which leaves a client guessing.
 */
export function invalidGrant(description: string): errors.InvalidGrant {
  return Object.assign(new errors.InvalidGrant(), { error_description: description });
}
