// Where each oidc-provider model is kept. Durable ones outlive a Redis loss (a user's grant, their
// refresh tokens, registrations); short-lived ones are written and read on every login and token call
// and expire on their own, so they live in the hot store with a TTL.

export const DURABLE_MODELS = new Set([
  'Grant',
  'RefreshToken',
  'RegistrationAccessToken',
  'InitialAccessToken',
]);

/** Models whose payload carries a grantId that revokeByGrantId must reach (oidc-provider's list). */
export const GRANTABLE_MODELS = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

export type ArtifactPayload = Record<string, unknown> & {
  grantId?: string;
  uid?: string;
  userCode?: string;
  consumed?: number;
  jti?: string;
};
