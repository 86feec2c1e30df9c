import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { FederationAudit } from './federation-audit.js';
import { FederationRepository, type ProviderState } from './federation.repository.js';
import type { FederatedSignIn, FederatedSignInOutcome, VerifiedFederatedIdentity } from './federated-sign-in.js';

/** Enough tries for any interleaving of two first sign-ins: the second always finds the first's link. */
const MAX_ATTEMPTS = 3;

/** The address of a new user whose provider asserted no verified one: unique, and undeliverable by RFC 2606. */
function placeholderEmail(provider: ProviderState): string {
  return `${randomUUID()}@${provider.slug}.federated.invalid`;
}

/**
 * Turns a verified upstream identity into a local user. The link is (issuer, subject), never the email:
 * a verified address only prefills a new user's row, and an address a local user already has refuses
 * the sign-in (`email_in_use`) instead of taking over that account. The one exception is explicit: a
 * provider bound to the tenant's SCIM client links its people to the users SCIM created for them. The groups asserted now are stored on
 * the link at every sign-in, so group mappings follow the provider at the next sign-in.
 */
@Injectable()
export class FederatedSignInService implements FederatedSignIn {
  constructor(
    private readonly repository: FederationRepository,
    private readonly audit: FederationAudit,
  ) {}

  async complete(tenantId: string, identity: VerifiedFederatedIdentity): Promise<FederatedSignInOutcome> {
    const provider = await this.repository.provider(tenantId, identity.providerId);
    if (!provider) throw new Error(`identity provider ${identity.providerId} is not in tenant ${tenantId}`);
    const details = { issuer: identity.issuer, subject: identity.subject, groups: identity.groups.length };
    if (!provider.enabled) {
      await this.audit.record({ tenant: provider.tenantSlug, action: 'federation.sign_in', outcome: 'denied', target: provider.slug, details: { ...details, reason: 'provider_disabled' } });
      return { ok: false, reason: 'provider_disabled' };
    }
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const linked = await this.repository.linkedUser(tenantId, identity.issuer, identity.subject);
      if (linked) {
        if (linked.disabled) {
          await this.audit.record({ tenant: provider.tenantSlug, action: 'federation.sign_in', outcome: 'denied', subject: linked.userId, target: provider.slug, details: { ...details, reason: 'user_disabled' } });
          return { ok: false, reason: 'user_disabled' };
        }
        await this.repository.recordSignIn(linked.linkId, identity.groups, identity.email);
        await this.audit.record({ tenant: provider.tenantSlug, action: 'federation.sign_in', outcome: 'success', subject: linked.userId, target: provider.slug, details });
        return { ok: true, userId: linked.userId, created: false };
      }
      const scim = await this.linkToScimUser(provider, tenantId, identity, details);
      if (scim === 'raced') continue;
      if (scim) return scim;
      const verifiedEmail = identity.emailVerified && identity.email ? identity.email : undefined;
      if (verifiedEmail && (await this.repository.emailTaken(tenantId, verifiedEmail))) {
        // Taken by a concurrent first sign-in of this same person (committed after the lookup above): sign in through its link.
        if (await this.repository.linkedUser(tenantId, identity.issuer, identity.subject)) continue;
        return this.emailInUse(provider, details);
      }
      const result = await this.repository.provision({
        tenantId,
        providerId: provider.id,
        issuer: identity.issuer,
        subject: identity.subject,
        userEmail: verifiedEmail ?? placeholderEmail(provider),
        assertedEmail: identity.email,
        displayName: identity.displayName,
        groups: identity.groups,
      });
      if (result.kind === 'email_in_use') return this.emailInUse(provider, details);
      if (result.kind === 'created') {
        await this.audit.record({ tenant: provider.tenantSlug, action: 'federation.user_provisioned', outcome: 'success', subject: result.userId, target: provider.slug, details: { ...details, emailVerified: Boolean(verifiedEmail) } });
        await this.audit.record({ tenant: provider.tenantSlug, action: 'federation.sign_in', outcome: 'success', subject: result.userId, target: provider.slug, details });
        return { ok: true, userId: result.userId, created: true };
      }
      // `raced`: a concurrent first sign-in of this person linked first; the next pass signs in through that link.
    }
    throw new Error('federated sign-in did not settle on a link');
  }

  /**
   * A person the tenant's SCIM client provisioned, signing in for the first time through the provider the
   * tenant bound to SCIM (`linkScimUsersBy` in its config), links to that user instead of being refused as
   * `email_in_use`: when the IdP subject equals the SCIM `externalId` (`externalId`), or the provider-verified
   * email equals the SCIM `userName` (`userName`). Never a user with a password (a local account), never a
   * user this provider already links to another subject, never by email from a provider not so bound.
   */
  private async linkToScimUser(provider: ProviderState, tenantId: string, identity: VerifiedFederatedIdentity, details: Record<string, unknown>): Promise<FederatedSignInOutcome | 'raced' | undefined> {
    const by = provider.linkScimUsersBy;
    if (!by) return undefined;
    const value = by === 'externalId' ? identity.subject : identity.emailVerified ? identity.email : undefined;
    if (!value) return undefined;
    const user = await this.repository.scimUser(tenantId, provider.id, by, value);
    if (!user) return undefined;
    if (user.disabled) {
      await this.audit.record({ tenant: provider.tenantSlug, action: 'federation.sign_in', outcome: 'denied', subject: user.userId, target: provider.slug, details: { ...details, reason: 'user_disabled' } });
      return { ok: false, reason: 'user_disabled' };
    }
    const result = await this.repository.linkScimUser({ tenantId, userId: user.userId, providerId: provider.id, issuer: identity.issuer, subject: identity.subject, assertedEmail: identity.email, groups: identity.groups });
    if (result.kind === 'raced') return 'raced';
    if (result.kind === 'taken') return undefined;
    await this.audit.record({ tenant: provider.tenantSlug, action: 'federation.user_linked', outcome: 'success', subject: user.userId, target: provider.slug, details: { ...details, scimMatch: by } });
    await this.audit.record({ tenant: provider.tenantSlug, action: 'federation.sign_in', outcome: 'success', subject: user.userId, target: provider.slug, details });
    return { ok: true, userId: user.userId, created: false };
  }

  private async emailInUse(provider: ProviderState, details: Record<string, unknown>): Promise<FederatedSignInOutcome> {
    await this.audit.record({ tenant: provider.tenantSlug, action: 'federation.sign_in', outcome: 'denied', target: provider.slug, details: { ...details, reason: 'email_in_use' } });
    return { ok: false, reason: 'email_in_use' };
  }
}
