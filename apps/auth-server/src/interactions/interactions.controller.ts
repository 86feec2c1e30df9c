import { Controller, Get, Inject, Param, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors } from 'oidc-provider';
import type { Interaction } from 'oidc-provider';
import type { Logger } from '@airlock/observability';
import { AdminTotpService } from '../admin-totp/admin-totp.service.js';
import { IdentityProviderRepository, providerForEmail, type LoginOptions } from '../federation/identity-provider.repository.js';
import { OidcBroker } from '../federation/oidc/oidc-broker.service.js';
import { SamlLoginStart } from '../federation/saml/saml-login-start.service.js';
import { LOGGER } from '../infra/infra.tokens.js';
import type { TenantProvider } from '../oidc/tenant-providers.js';
import { CurrentTenant, TenantGuard } from '../tenants/current-tenant.js';
import { UsersService } from '../users/users.service.js';
import { CsrfService } from './csrf.service.js';
import { consentPage, loginPage, messagePage } from './interaction-views.js';
import { InteractionsService } from './interactions.service.js';
import { signInRefusal } from './sign-in-refusal.js';
import { sendHtml, setPageHeaders } from './page-headers.js';
import { TenantNotFoundPageFilter } from './tenant-not-found-page.filter.js';

type Body = Record<string, unknown>;

function field(body: unknown, name: string): string {
  const value = (body as Body | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}

/** The login page's identity-provider buttons (OpenID Connect and SAML alike) and password switch. */
function signInChoices(options: LoginOptions): { providers: Array<{ slug: string; displayName: string }>; passwords: boolean } {
  return { providers: options.providers.map(({ slug, displayName }) => ({ slug, displayName })), passwords: options.localPasswords };
}

/** Where the interaction's forms post to (the interaction cookie's path covers it). */
function actionBase(slug: string, uid: string): string {
  return `/t/${encodeURIComponent(slug)}/interaction/${encodeURIComponent(uid)}`;
}

/**
 * The login and consent pages oidc-provider sends the browser to. Every response carries the page
 * security headers; every POST checks the CSRF token before anything else it does (the tenant is
 * resolved by TenantGuard before the handler runs).
 */
@Controller('t/:tenant/interaction')
@UseGuards(TenantGuard)
@UseFilters(TenantNotFoundPageFilter)
export class InteractionsController {
  constructor(
    private readonly interactions: InteractionsService,
    private readonly users: UsersService,
    private readonly csrf: CsrfService,
    private readonly totp: AdminTotpService,
    private readonly identityProviders: IdentityProviderRepository,
    private readonly oidcBroker: OidcBroker,
    private readonly samlLogin: SamlLoginStart,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Get(':uid')
  async show(@CurrentTenant() tp: TenantProvider, @Param('uid') uid: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    reply.hijack();
    const interaction = await this.load(tp, uid, req, reply);
    if (!interaction) return;
    const { secret, setCookie } = this.csrf.secretFor(req.headers);
    const headers: Record<string, string> = setCookie ? { 'set-cookie': setCookie } : {};
    const token = this.csrf.token(secret, `interaction:${uid}`);

    if (interaction.prompt.name === 'login') {
      const clientName = await this.clientName(tp, interaction);
      const hint = interaction.params['login_hint'];
      const email = typeof hint === 'string' && hint.length <= 320 ? hint : undefined;
      const oneTimeCode = this.totp.requiredFor(tp.tenant.slug);
      const options = await this.identityProviders.loginOptions(tp.tenant.id);
      sendHtml(reply.raw, 200, loginPage({ tenantName: tp.tenant.displayName, clientName, actionBase: actionBase(tp.tenant.slug, uid), csrf: token, oneTimeCode, ...signInChoices(options), ...(email ? { email } : {}) }), headers);
      return;
    }
    if (interaction.prompt.name === 'consent') {
      const accountId = interaction.session?.accountId;
      if (!accountId) return this.fail(reply, tp.tenant.displayName, 400, 'Sign-in required', 'This request has no signed-in user. Go back to the application and start again.');
      const plan = await this.interactions.plan(tp, interaction, accountId);
      const remembered = await this.interactions.remembered(tp, plan);
      // Approved before for this client, resource and these scopes, or pre-approved by an admin: no screen.
      const grantId = remembered ? await this.interactions.approve(tp, interaction, plan, remembered) : await this.interactions.approveIfPreApproved(tp, interaction, plan);
      if (grantId) {
        setPageHeaders(reply.raw);
        await tp.provider.interactionFinished(req.raw, reply.raw, { consent: { grantId } }, { mergeWithLastSubmission: true });
        return;
      }
      const view = await this.interactions.consentView(tp, interaction, plan);
      sendHtml(reply.raw, 200, consentPage({ ...view, actionBase: actionBase(tp.tenant.slug, uid), csrf: token }), headers);
      return;
    }
    this.fail(reply, tp.tenant.displayName, 400, 'Unsupported request', 'This authorization request needs a step this server does not offer.');
  }

  @Post(':uid/login')
  async login(@CurrentTenant() tp: TenantProvider, @Param('uid') uid: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    reply.hijack();
    const interaction = await this.loadForPost(tp, uid, req, reply);
    if (!interaction) return;
    if (interaction.prompt.name !== 'login') return this.fail(reply, tp.tenant.displayName, 400, 'Already signed in', 'This step is already done. Go back to the application and start again.');

    const email = field(req.body, 'email').trim();
    const password = field(req.body, 'password');
    // Home-realm discovery: an email of a provider's domain continues at that provider, password or not.
    const options = await this.identityProviders.loginOptions(tp.tenant.id);
    const realm = providerForEmail(options.providers, email);
    if (realm && (await this.startFederation(tp, realm, uid, reply, email))) return;
    if (!options.localPasswords) {
      const { secret } = this.csrf.secretFor(req.headers);
      const clientName = await this.clientName(tp, interaction);
      const error = 'This organization signs in through its identity provider. Use your work email, or choose your organization below.';
      sendHtml(reply.raw, 403, loginPage({ tenantName: tp.tenant.displayName, clientName, actionBase: actionBase(tp.tenant.slug, uid), csrf: this.csrf.token(secret, `interaction:${uid}`), email, error, ...signInChoices(options) }));
      return;
    }
    const result = await this.users.authenticate(tp.tenant, email, password, req.ip);
    // The platform's own people need a second factor: RFC 6238 TOTP, checked only after the password.
    const oneTimeCode = this.totp.requiredFor(tp.tenant.slug);
    const secondFactor = result.ok ? await this.totp.checkSignIn(tp.tenant.slug, result.user.id, field(req.body, 'totp')) : { ok: true as const };
    const refusal = signInRefusal(result, secondFactor, oneTimeCode);
    if (refusal || !result.ok) {
      const { secret } = this.csrf.secretFor(req.headers);
      const clientName = await this.clientName(tp, interaction);
      const view = loginPage({ tenantName: tp.tenant.displayName, clientName, actionBase: actionBase(tp.tenant.slug, uid), csrf: this.csrf.token(secret, `interaction:${uid}`), email, error: refusal?.error, oneTimeCode, ...signInChoices(options) });
      sendHtml(reply.raw, refusal?.status ?? 401, view, refusal?.headers ?? {});
      return;
    }
    setPageHeaders(reply.raw);
    // oidc-provider gives the browser a new session id when it resumes (session fixation).
    await tp.provider.interactionFinished(req.raw, reply.raw, { login: { accountId: result.user.id } }, { mergeWithLastSubmission: false });
  }

  /** A provider's button on the login page: only the browser holding this interaction (its cookie and CSRF token) can start it. */
  @Post(':uid/federation/:provider')
  async federation(@CurrentTenant() tp: TenantProvider, @Param('uid') uid: string, @Param('provider') provider: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    reply.hijack();
    const interaction = await this.loadForPost(tp, uid, req, reply);
    if (!interaction) return;
    if (interaction.prompt.name !== 'login') return this.fail(reply, tp.tenant.displayName, 400, 'Already signed in', 'This step is already done. Go back to the application and start again.');
    const options = await this.identityProviders.loginOptions(tp.tenant.id);
    const chosen = options.providers.find((p) => p.slug === provider);
    if (!chosen || !(await this.startFederation(tp, chosen, uid, reply))) return this.fail(reply, tp.tenant.displayName, 404, 'Unknown sign-in option', 'This identity provider is not available. Go back and choose another way to sign in.');
  }

  @Post(':uid/confirm')
  async confirm(@CurrentTenant() tp: TenantProvider, @Param('uid') uid: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    reply.hijack();
    const interaction = await this.loadForPost(tp, uid, req, reply);
    if (!interaction) return;
    const accountId = interaction.session?.accountId;
    if (interaction.prompt.name !== 'consent' || !accountId) return this.fail(reply, tp.tenant.displayName, 400, 'Nothing to approve', 'Go back to the application and start again.');
    const plan = await this.interactions.plan(tp, interaction, accountId);
    const grantId = await this.interactions.approve(tp, interaction, plan);
    setPageHeaders(reply.raw);
    await tp.provider.interactionFinished(req.raw, reply.raw, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  @Post(':uid/abort')
  async abort(@CurrentTenant() tp: TenantProvider, @Param('uid') uid: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    reply.hijack();
    if (!(await this.loadForPost(tp, uid, req, reply))) return;
    setPageHeaders(reply.raw);
    // oidc-provider sends the error to the client's registered redirect URI, never anywhere else.
    await tp.provider.interactionFinished(
      req.raw,
      reply.raw,
      { error: 'access_denied', error_description: 'the user denied the authorization request' },
      { mergeWithLastSubmission: false },
    );
  }

  /** Sends the browser to the provider (OpenID Connect authorization request, or SAML AuthnRequest); false when it is not usable. */
  private startFederation(tp: TenantProvider, provider: LoginOptions['providers'][number], uid: string, reply: FastifyReply, email?: string): Promise<boolean> {
    return provider.kind === 'saml' ? this.samlLogin.start(tp, provider.slug, uid, reply.raw) : this.oidcBroker.start(tp, provider.slug, uid, reply.raw, email);
  }

  private async clientName(tp: TenantProvider, interaction: Interaction): Promise<string> {
    const clientId = String(interaction.params['client_id'] ?? '');
    const client = await tp.provider.Client.find(clientId).catch(() => undefined);
    return client?.clientName ?? clientId;
  }

  private async load(tp: TenantProvider, uid: string, req: FastifyRequest, reply: FastifyReply): Promise<Interaction | undefined> {
    let interaction: Interaction;
    try {
      interaction = await tp.provider.interactionDetails(req.raw, reply.raw);
    } catch (error) {
      if (!(error instanceof errors.SessionNotFound)) throw error;
      this.fail(reply, tp.tenant.displayName, 400, 'This sign-in request has expired', 'It was already used or took too long. Go back to the application and start again.');
      return undefined;
    }
    if (interaction.uid !== uid) {
      this.fail(reply, tp.tenant.displayName, 400, 'This sign-in request has expired', 'Go back to the application and start again.');
      return undefined;
    }
    return interaction;
  }

  private async loadForPost(tp: TenantProvider, uid: string, req: FastifyRequest, reply: FastifyReply): Promise<Interaction | undefined> {
    // CSRF first: a forged POST learns nothing, changes nothing.
    if (!this.csrf.verify(req.headers, field(req.body, 'csrf'), `interaction:${uid}`)) {
      this.logger.warn({ tenant: tp.tenant.slug }, 'interaction POST with a missing or wrong CSRF token');
      this.fail(reply, 'Airlock', 403, 'This form has expired', 'Reload the page and try again.');
      return undefined;
    }
    return this.load(tp, uid, req, reply);
  }

  private fail(reply: FastifyReply, tenantName: string, status: number, title: string, message: string): void {
    sendHtml(reply.raw, status, messagePage({ tenantName, title, message }));
  }
}
