import type { ServerResponse } from 'node:http';
import { Injectable } from '@nestjs/common';
import { sendRedirect } from '../../interactions/page-headers.js';
import type { TenantProvider } from '../../oidc/tenant-providers.js';
import { FederatedLogin } from '../federated-login.js';
import { SamlBroker } from './saml-broker.service.js';
import { samlEndpoints } from './saml-endpoints.js';
import { SamlProviderRepository } from './saml-provider.repository.js';
import { PENDING_REQUEST_TTL_MS } from './saml-state.store.js';

/** Binds the RelayState to the browser that started the sign-in (sent back on the finish redirect, never on the cross-site POST). */
export const SAML_STATE_COOKIE = 'airlock_saml_state';

/** Scoped to this provider's SAML path, so sign-ins through different providers do not disturb each other. */
export function samlStateCookie(path: string, value: string, secure: boolean, maxAgeSeconds: number): string {
  return `${SAML_STATE_COOKIE}=${value}; Path=${path}; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}

/**
 * Starts an SP-initiated sign-in for a waiting login interaction: records the AuthnRequest under a fresh
 * RelayState, sets the state cookie and redirects the browser to the IdP (HTTP-Redirect binding). Only the
 * login page's provider button calls this (a CSRF-checked POST inside the interaction cookie's path, as for
 * the OIDC broker): the caller has made sure the browser holds the interaction. There is no start by GET
 * with an interaction id: that let any page start a sign-in, in the victim's browser, that finished the
 * attacker's waiting authorization request with the victim's identity (login CSRF turned account takeover).
 */
@Injectable()
export class SamlLoginStart {
  constructor(
    private readonly providers: SamlProviderRepository,
    private readonly broker: SamlBroker,
    private readonly login: FederatedLogin,
  ) {}

  /**
   * false (nothing sent) when `providerSlug` is no enabled SAML provider of the tenant; otherwise the
   * browser is answered: the redirect, or the expired-request page when `uid` is no waiting login.
   */
  async start(tp: TenantProvider, providerSlug: string, uid: string, res: ServerResponse): Promise<boolean> {
    const provider = await this.providers.find(tp.tenant.id, providerSlug);
    if (!provider?.enabled) return false;
    const interaction = uid.length > 0 && uid.length <= 128 ? await this.login.pendingLogin(tp, uid) : undefined;
    if (!interaction) {
      this.login.failed(res, tp, 'This sign-in request has expired. Go back to the application and start again.');
      return true;
    }
    const { url, relayState } = await this.broker.startLogin(tp.tenant, provider, interaction.uid);
    const endpoints = samlEndpoints(tp.tenant, provider.slug);
    sendRedirect(res, url, { 'set-cookie': samlStateCookie(endpoints.path, relayState, endpoints.acsUrl.startsWith('https:'), PENDING_REQUEST_TTL_MS / 1000) });
    return true;
  }
}
