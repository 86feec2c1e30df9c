import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import * as oidc from 'openid-client';
import type { AuthServerConfig } from '@airlock/config';
import type { Logger } from '@airlock/observability';
import type { HotStore } from '@airlock/redis';
import { AUTH_CONFIG, HOT_STORE, LOGGER } from '../../infra/infra.tokens.js';
import { sendRedirect } from '../../interactions/page-headers.js';
import { UiCookies } from '../../interactions/ui-cookies.js';
import type { TenantProvider } from '../../oidc/tenant-providers.js';
import { FederatedLogin } from '../federated-login.js';
import { FederationAudit } from '../federation-audit.js';
import { IdentityProviderRepository, type OidcProviderRecord } from '../identity-provider.repository.js';
import { OidcClientFactory } from './oidc-client.factory.js';
import { authorizationParams, mapClaims, requestScopes } from './oidc-presets.js';

/** How long a person has at the provider before the callback is refused. */
const TRANSACTION_TTL_MS = 10 * 60 * 1000;
const BINDING_COOKIE = 'airlock_federation';

/** What the start remembers for the callback, single use, keyed by `state`. */
interface Transaction {
  uid: string;
  providerId: string;
  verifier: string;
  nonce: string;
  /** sha256 of the browser's binding cookie: the callback must come from the browser that started. */
  binding: string;
}

export function oidcCallbackUrl(issuer: string, providerSlug: string): string {
  return `${issuer}/federation/${encodeURIComponent(providerSlug)}/callback`;
}

function transactionKey(tenantId: string, state: string): string {
  return `federation:oidc:${tenantId}:${createHash('sha256').update(state).digest('base64url')}`;
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * The OpenID Connect broker: sends the person to the tenant's provider (authorization code, PKCE S256,
 * state, nonce) and verifies the answer with openid-client: RFC 9207 `iss` on the callback, the code
 * exchange, and the ID token (signature against the provider's JWKS, `alg: none` refused, issuer,
 * audience, expiry, nonce). What passes becomes a VerifiedFederatedIdentity for FederatedLogin.
 */
@Injectable()
export class OidcBroker {
  private readonly cookies: UiCookies;

  constructor(
    private readonly providers: IdentityProviderRepository,
    private readonly clients: OidcClientFactory,
    private readonly login: FederatedLogin,
    private readonly audit: FederationAudit,
    @Inject(HOT_STORE) private readonly hot: HotStore,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(AUTH_CONFIG) config: AuthServerConfig,
  ) {
    this.cookies = new UiCookies(config.publicUrl.startsWith('https:'));
  }

  /** Redirects the browser (which owns login interaction `uid`) to the provider; false when there is no such enabled provider. */
  async start(tp: TenantProvider, providerSlug: string, uid: string, res: ServerResponse, loginHint?: string): Promise<boolean> {
    const provider = await this.providers.oidcProvider(tp.tenant.id, providerSlug);
    if (!provider?.enabled) return false;
    let configuration: oidc.Configuration;
    try {
      configuration = await this.clients.configuration(provider);
    } catch (error) {
      this.logger.warn({ err: error, tenant: tp.tenant.slug, provider: provider.slug }, 'identity provider discovery failed');
      this.login.failed(res, tp, 'The identity provider could not be reached. Try again later.', 502);
      return true;
    }
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const binding = randomBytes(32).toString('base64url');
    const transaction: Transaction = { uid, providerId: provider.id, verifier, nonce, binding: sha256(binding).toString('base64url') };
    await this.hot.set(transactionKey(tp.tenant.id, state), JSON.stringify(transaction), { ttlMs: TRANSACTION_TTL_MS });
    const url = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: oidcCallbackUrl(tp.tenant.issuer, provider.slug),
      response_type: 'code',
      scope: requestScopes(provider.preset, provider.config).join(' '),
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ...authorizationParams(provider.preset, provider.config),
      ...(loginHint ? { login_hint: loginHint } : {}),
    });
    sendRedirect(res, url.href, { 'set-cookie': this.cookies.serialize(BINDING_COOKIE, binding, { maxAgeSeconds: TRANSACTION_TTL_MS / 1000 }) });
    return true;
  }

  /** The provider's redirect back: verifies everything, then signs in through FederatedLogin. */
  async callback(tp: TenantProvider, providerSlug: string, query: string, headers: IncomingHttpHeaders, res: ServerResponse): Promise<void> {
    const params = new URLSearchParams(query);
    const state = params.get('state');
    // Single use: taken before anything is checked, so a replayed callback finds nothing.
    const stored = state ? await this.hot.getDel(transactionKey(tp.tenant.id, state)) : null;
    const transaction = stored ? (JSON.parse(stored) as Transaction) : undefined;
    const provider = await this.providers.oidcProvider(tp.tenant.id, providerSlug);
    const refuse = (reason: string, message?: string) => {
      this.logger.warn({ tenant: tp.tenant.slug, provider: providerSlug, reason }, 'federated sign-in refused');
      void this.audit.record({ tenant: tp.tenant.slug, action: 'federation.sign_in', outcome: 'refused', target: providerSlug, details: { reason } });
      this.login.failed(res, tp, message);
    };
    if (!transaction || !provider || transaction.providerId !== provider.id) return refuse('unknown or used state', 'This sign-in was already used or took too long. Go back to the application and start again.');
    const binding = this.cookies.read(headers, BINDING_COOKIE);
    if (!binding || !timingSafeEqual(sha256(binding), Buffer.from(transaction.binding, 'base64url'))) return refuse('callback from another browser');
    if (!provider.enabled) return refuse('provider disabled');

    const callbackUrl = new URL(oidcCallbackUrl(tp.tenant.issuer, provider.slug));
    callbackUrl.search = params.toString();
    let claims: Record<string, unknown>;
    try {
      const configuration = await this.clients.configuration(provider);
      const tokens = await oidc.authorizationCodeGrant(configuration, callbackUrl, {
        pkceCodeVerifier: transaction.verifier,
        expectedState: state!,
        expectedNonce: transaction.nonce,
        idTokenExpected: true,
      });
      claims = { ...tokens.claims() };
    } catch (error) {
      return refuse(describeFailure(error));
    }
    const mapped = mapClaims(provider.preset, provider.config, claims);
    if (!mapped.ok) return refuse(mapped.reason, 'Your identity provider’s answer does not allow a sign-in here. Ask your administrator.');
    if (mapped.identity.groupOverage) {
      await this.audit.record({ tenant: tp.tenant.slug, action: 'federation.group_overage', outcome: 'success', target: provider.slug, details: { subject: mapped.identity.subject, note: 'signed in without groups' } });
    }
    await this.login.finish(
      tp,
      transaction.uid,
      {
        providerId: provider.id,
        issuer: String(claims['iss']),
        subject: mapped.identity.subject,
        email: mapped.identity.email,
        emailVerified: mapped.identity.emailVerified,
        displayName: mapped.identity.displayName,
        groups: mapped.identity.groups,
      },
      res,
    );
  }

  /** For the OIDC record the admin API shows: the redirect URI to register at the provider. */
  callbackUrlOf(tp: TenantProvider, provider: Pick<OidcProviderRecord, 'slug'>): string {
    return oidcCallbackUrl(tp.tenant.issuer, provider.slug);
  }
}

/** A log line's reason from openid-client's errors (codes and messages, never tokens). */
function describeFailure(error: unknown): string {
  if (error instanceof oidc.AuthorizationResponseError) return `provider answered ${error.error}`;
  if (error instanceof oidc.ResponseBodyError) return `token endpoint answered ${error.error}`;
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${typeof code === 'string' ? `${code}: ` : ''}${error.message}`.slice(0, 300);
  }
  return 'unknown error';
}
