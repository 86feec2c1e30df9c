// The contract between a protocol broker (OpenID Connect in `oidc/`, SAML 2.0 in `saml/`) and the one place
// that turns a verified upstream identity into a local user: the broker proves who the person is, this
// links or provisions the user and records the groups. Brokers never touch `users` or
// `federated_identities` themselves, so the linking rules (issuer + subject, never email alone) live once.

/** What a broker hands over after it has verified a sign-in (signature, audience, issuer, expiry, replay). */
export interface VerifiedFederatedIdentity {
  /** The identity provider record (identity_providers.id) the sign-in came through. */
  providerId: string;
  /** The asserting party: the OIDC `iss`, or the SAML assertion's Issuer. */
  issuer: string;
  /** The stable subject: OIDC `sub` (Entra: `oid` where configured), SAML NameID (persistent) or a configured attribute. */
  subject: string;
  email?: string | undefined;
  /** Only a provider-verified email may prefill a new user's address; it never links to an existing user. */
  emailVerified: boolean;
  displayName?: string | undefined;
  /** Group names as the provider asserted them (after the preset's claim mapping); empty when none. */
  groups: readonly string[];
}

export type FederatedSignInOutcome =
  | { ok: true; userId: string; created: boolean }
  /**
   * `email_in_use`: a local user already has this email and no link exists (no auto-linking);
   * `user_disabled`: the linked user is disabled; `provider_disabled`: the provider is switched off.
   */
  | { ok: false; reason: 'email_in_use' | 'user_disabled' | 'provider_disabled' };

/** Implemented by `FederatedSignInService` (federation module); brokers inject it by this token. */
export interface FederatedSignIn {
  complete(tenantId: string, identity: VerifiedFederatedIdentity): Promise<FederatedSignInOutcome>;
}

export const FEDERATED_SIGN_IN = Symbol('FEDERATED_SIGN_IN');
