import { Inject, Injectable } from '@nestjs/common';
import { SAML, SamlStatusError, ValidateInResponseTo, type CacheProvider } from '@node-saml/node-saml';
import type { TenantRecord } from '../../tenants/tenant-record.js';
import { FEDERATED_SIGN_IN, type FederatedSignIn, type VerifiedFederatedIdentity } from '../federated-sign-in.js';
import { checkAssertion } from './saml-assertion-checks.js';
import { samlEndpoints, type SamlEndpoints } from './saml-endpoints.js';
import type { SamlProvider } from './saml-provider.repository.js';
import { SamlRejection } from './saml-rejection.js';
import { readResponseEnvelope } from './saml-response-envelope.js';
import { randomHandle, SamlStateStore } from './saml-state.store.js';

/** node-saml's own request-ID cache is not used: outstanding requests live in the hot store, bound to RelayState. */
const NO_CACHE: CacheProvider = {
  saveAsync: async () => null,
  getAsync: async () => null,
  removeAsync: async () => null,
};

/** node-saml signals every refusal with a plain Error; its messages are stable per check. */
function classify(error: unknown): SamlRejection {
  if (error instanceof SamlRejection) return error;
  if (error instanceof SamlStatusError) return new SamlRejection('idp_error_status', error.message);
  const message = error instanceof Error ? error.message : String(error);
  if (/signature|signed data/i.test(message)) return new SamlRejection('unsigned_or_bad_signature', message);
  if (/audience/i.test(message)) return new SamlRejection('wrong_audience', message);
  if (/expired|not yet valid/i.test(message)) return new SamlRejection('expired_or_not_yet_valid', message);
  return new SamlRejection('malformed_response', message);
}

export type AcceptedResponse =
  /** SP-initiated: the browser that posted the response goes on to the finish step with this ticket. */
  | { kind: 'interaction'; ticket: string }
  /** IdP-initiated (allowed by the provider): the user is signed in and the browser goes to the configured page. */
  | { kind: 'unsolicited'; redirect: string };

/**
 * The SAML 2.0 service provider of one tenant's identity provider: SP metadata, SP-initiated AuthnRequests
 * (HTTP-Redirect binding), and the assertion consumer (HTTP-POST binding) that verifies a response and
 * hands the identity to FEDERATED_SIGN_IN. node-saml checks the XML signature (over the assertion; an
 * unsigned assertion is refused even inside a signed response), audience and time conditions; this class
 * adds the envelope (Destination, InResponseTo bound to RelayState), the checks in saml-assertion-checks,
 * and the replay cache. The verified identity goes to FederatedLogin (linking, provisioning, the
 * interaction) once the browser that started the sign-in comes back for it.
 */
@Injectable()
export class SamlBroker {
  constructor(
    private readonly state: SamlStateStore,
    @Inject(FEDERATED_SIGN_IN) private readonly signIn: FederatedSignIn,
  ) {}

  private saml(endpoints: SamlEndpoints, provider: SamlProvider, requestId?: string): SAML {
    const { config } = provider;
    return new SAML({
      issuer: endpoints.entityId,
      callbackUrl: endpoints.acsUrl,
      entryPoint: config.ssoUrl,
      idpCert: config.signingCertificates,
      idpIssuer: config.idpEntityId,
      audience: endpoints.entityId,
      wantAssertionsSigned: true,
      // Many IdPs sign only the assertion; the assertion's own signature is what is required.
      wantAuthnResponseSigned: false,
      acceptedClockSkewMs: config.clockSkewSeconds * 1000,
      identifierFormat: config.nameIdFormat,
      validateInResponseTo: ValidateInResponseTo.never,
      cacheProvider: NO_CACHE,
      disableRequestedAuthnContext: true,
      ...(requestId ? { generateUniqueId: () => requestId } : {}),
    });
  }

  metadata(tenant: TenantRecord, provider: SamlProvider): string {
    return this.saml(samlEndpoints(tenant, provider.slug), provider).generateServiceProviderMetadata(null, null);
  }

  /** Records the outstanding request under a fresh RelayState and returns the IdP URL to redirect to. */
  async startLogin(tenant: TenantRecord, provider: SamlProvider, interactionUid: string): Promise<{ url: string; relayState: string }> {
    const relayState = randomHandle();
    // An xs:ID must not start with a digit or '-'.
    const requestId = `_${randomHandle()}`;
    await this.state.savePending(relayState, { providerId: provider.id, interactionUid, requestId });
    const url = await this.saml(samlEndpoints(tenant, provider.slug), provider, requestId).getAuthorizeUrlAsync(relayState, undefined, {});
    return { url, relayState };
  }

  /** Verifies an HTTP-POST response and signs the person in; throws SamlRejection. */
  async acceptResponse(tenant: TenantRecord, provider: SamlProvider, form: { samlResponse: string; relayState: string }): Promise<AcceptedResponse> {
    const endpoints = samlEndpoints(tenant, provider.slug);
    const envelope = await readResponseEnvelope(form.samlResponse);
    if (envelope.destination !== undefined && envelope.destination !== endpoints.acsUrl) {
      throw new SamlRejection('wrong_destination', `Destination ${envelope.destination}`);
    }

    let requestId: string | undefined;
    let interactionUid: string | undefined;
    if (envelope.inResponseTo !== undefined) {
      // Single use, taken before any other check: a refused response cannot be retried with the same request.
      const pending = form.relayState ? await this.state.takePending(form.relayState) : undefined;
      if (!pending) throw new SamlRejection('unknown_relay_state');
      if (pending.providerId !== provider.id || pending.requestId !== envelope.inResponseTo) throw new SamlRejection('in_response_to_mismatch');
      requestId = pending.requestId;
      interactionUid = pending.interactionUid;
    } else if (!provider.config.allowIdpInitiated) {
      throw new SamlRejection('unsolicited_response');
    }

    let verified;
    try {
      verified = await this.saml(endpoints, provider).validatePostResponseAsync({ SAMLResponse: form.samlResponse });
    } catch (error) {
      throw classify(error);
    }
    const nowMs = Date.now();
    const assertion = checkAssertion(verified.profile?.getAssertion?.(), { config: provider.config, acsUrl: endpoints.acsUrl, requestId, nowMs });
    if (!(await this.state.firstUse(provider.id, assertion.assertionId, assertion.replayUntilMs, nowMs))) {
      throw new SamlRejection('replayed_assertion', `assertion ${assertion.assertionId}`);
    }

    const identity: VerifiedFederatedIdentity = {
      providerId: provider.id,
      issuer: assertion.issuer,
      subject: assertion.subject,
      ...(assertion.email !== undefined ? { email: assertion.email } : {}),
      emailVerified: provider.config.emailVerified && assertion.email !== undefined,
      ...(assertion.displayName !== undefined ? { displayName: assertion.displayName } : {}),
      groups: assertion.groups,
    };
    if (interactionUid !== undefined) {
      // Kept under a fresh ticket, not the RelayState: the RelayState travels in the AuthnRequest URL, so
      // whoever started the sign-in knows it and holds its cookie. Had they handed that URL to someone else,
      // only the ticket (in the redirect to the browser that posted this) could claim the identity, and that
      // browser lacks the state cookie.
      const ticket = randomHandle();
      await this.state.saveVerified(ticket, { providerId: provider.id, interactionUid, relayState: form.relayState, identity });
      return { kind: 'interaction', ticket };
    }
    // IdP-initiated: no authorization request to go back to; the user is linked or provisioned, then sent on.
    const outcome = await this.signIn.complete(tenant.id, identity);
    if (!outcome.ok) throw new SamlRejection(outcome.reason, undefined, true);
    return { kind: 'unsolicited', redirect: provider.config.idpInitiatedRedirect! };
  }

  /**
   * The browser's return from the ACS, with the ticket the ACS gave it: that browser posted the response,
   * and it must also hold the state cookie set at the start (the ACS itself is a cross-site POST that
   * carries no SameSite=Lax cookie), so it is the browser that started. The ticket is spent by the first
   * try, matching or not. Returns the verified identity and the interaction to finish with it
   * (FederatedLogin does, and oidc-provider checks its own resume cookie when the browser continues).
   */
  async finish(provider: SamlProvider, ticket: string, browserState: string | undefined): Promise<{ interactionUid: string; identity: VerifiedFederatedIdentity }> {
    const verified = ticket ? await this.state.takeVerified(ticket) : undefined;
    if (!verified || verified.providerId !== provider.id) throw new SamlRejection('interaction_expired');
    if (!browserState || browserState !== verified.relayState) throw new SamlRejection('browser_mismatch');
    return { interactionUid: verified.interactionUid, identity: verified.identity };
  }
}
