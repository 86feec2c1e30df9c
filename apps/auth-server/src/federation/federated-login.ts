import type { ServerResponse } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { Interaction } from 'oidc-provider';
import type { Logger } from '@airlock/observability';
import { LOGGER } from '../infra/infra.tokens.js';
import { messagePage } from '../interactions/interaction-views.js';
import { sendHtml, sendRedirect } from '../interactions/page-headers.js';
import type { TenantProvider } from '../oidc/tenant-providers.js';
import { FEDERATED_SIGN_IN, type FederatedSignIn, type FederatedSignInOutcome, type VerifiedFederatedIdentity } from './federated-sign-in.js';

type Refusal = Extract<FederatedSignInOutcome, { ok: false }>['reason'];

/** What the person reads when a verified identity is still refused (never which rule matched beyond this). */
const REFUSALS: Record<Refusal, { title: string; message: string }> = {
  email_in_use: {
    title: 'This email address already has an account',
    message: 'An account here already uses the email address your identity provider gave. It is not linked automatically: ask your administrator, or sign in with that account.',
  },
  user_disabled: { title: 'This account is disabled', message: 'Ask your administrator to enable it.' },
  provider_disabled: { title: 'Sign-in through this provider is switched off', message: 'Go back to the application and choose another way to sign in.' },
};

export type FederatedLoginResult = FederatedSignInOutcome | { ok: false; reason: 'interaction_expired' };

/**
 * Ends a broker's callback: links or provisions the user (FEDERATED_SIGN_IN), then finishes the
 * oidc-provider login interaction the sign-in started from and sends the browser back to it. The broker's
 * callback is outside the interaction cookie's path (`/t/<slug>/interaction/<uid>`), so the interaction
 * is found by the uid the broker kept in its own state; the browser still needs oidc-provider's resume
 * cookie to continue, so a callback replayed in another browser cannot resume someone else's request.
 */
@Injectable()
export class FederatedLogin {
  constructor(
    @Inject(FEDERATED_SIGN_IN) private readonly signIn: FederatedSignIn,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** The login interaction `uid` names, while it is still waiting for a login; otherwise undefined. */
  async pendingLogin(tp: TenantProvider, uid: string): Promise<Interaction | undefined> {
    const interaction = await tp.provider.Interaction.find(uid);
    if (!interaction || interaction.prompt.name !== 'login' || interaction.result) return undefined;
    return interaction;
  }

  /** Signs in `identity` for the interaction `uid` and answers the browser (redirect on success, a page otherwise). */
  async finish(tp: TenantProvider, uid: string, identity: VerifiedFederatedIdentity, res: ServerResponse): Promise<FederatedLoginResult> {
    const interaction = await this.pendingLogin(tp, uid);
    if (!interaction) {
      this.page(res, tp, 400, 'This sign-in request has expired', 'It was already used or took too long. Go back to the application and start again.');
      return { ok: false, reason: 'interaction_expired' };
    }
    const outcome = await this.signIn.complete(tp.tenant.id, identity);
    if (!outcome.ok) {
      const refusal = REFUSALS[outcome.reason];
      this.page(res, tp, 403, refusal.title, refusal.message);
      return outcome;
    }
    // What `provider.interactionFinished` does, minus the cookie lookup; `fed` is RFC 8176's method for federation.
    interaction.result = { login: { accountId: outcome.userId, amr: ['fed'] } };
    await interaction.persist();
    this.logger.debug({ tenant: tp.tenant.slug, provider: identity.providerId, created: outcome.created }, 'federated login finished');
    sendRedirect(res, interaction.returnTo);
    return outcome;
  }

  /** The page a broker shows when the upstream response itself was refused (bad signature, state, issuer...). */
  failed(res: ServerResponse, tp: TenantProvider, message = 'Your identity provider’s answer could not be accepted. Go back to the application and start again.'): void {
    this.page(res, tp, 400, 'Sign-in failed', message);
  }

  private page(res: ServerResponse, tp: TenantProvider, status: number, title: string, message: string): void {
    sendHtml(res, status, messagePage({ tenantName: tp.tenant.displayName, title, message }));
  }
}
