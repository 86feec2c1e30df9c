import { Controller, Get, Inject, Post, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '@airlock/observability';
import { AdminTotpService } from '../admin-totp/admin-totp.service.js';
import { LOGGER } from '../infra/infra.tokens.js';
import { GrantRevoker } from '../oidc/grant-revoker.js';
import type { TenantProvider } from '../oidc/tenant-providers.js';
import { ClientDirectory } from '../interactions/client-directory.js';
import { ConsentRepository } from '../interactions/consent.repository.js';
import { CsrfService } from '../interactions/csrf.service.js';
import { messagePage } from '../interactions/interaction-views.js';
import { sendHtml, sendRedirect } from '../interactions/page-headers.js';
import { signInRefusal } from '../interactions/sign-in-refusal.js';
import { TenantNotFoundPageFilter } from '../interactions/tenant-not-found-page.filter.js';
import { CurrentTenant, TenantGuard } from '../tenants/current-tenant.js';
import { describeScope } from '../interactions/scope-text.js';
import { UsersService } from '../users/users.service.js';
import { LoginSessions } from '../login-sessions/login-sessions.service.js';
import { AccountSessions } from './account-session.service.js';
import { accountPage, accountSignInPage } from './account-views.js';
import { ConnectedAccountsService } from '../connected-accounts/connected-accounts.service.js';
import { connectedAccountsSection } from './connect-views.js';

function field(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}

/** The self-service page: every client the user authorized, and a way to revoke each. */
@Controller('t/:tenant/account')
@UseGuards(TenantGuard)
@UseFilters(TenantNotFoundPageFilter)
export class AccountController {
  constructor(
    private readonly sessions: AccountSessions,
    private readonly users: UsersService,
    private readonly consents: ConsentRepository,
    private readonly clients: ClientDirectory,
    private readonly revoker: GrantRevoker,
    private readonly csrf: CsrfService,
    private readonly logins: LoginSessions,
    private readonly totp: AdminTotpService,
    private readonly connected: ConnectedAccountsService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Get()
  async show(
    @CurrentTenant() tp: TenantProvider,
    @Query('revoked') revoked: string | undefined,
    @Query('signedout') signedOut: string | undefined,
    @Query('disconnected') disconnected: string | undefined,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    reply.hijack();
    const slug = tp.tenant.slug;
    const { secret, setCookie } = this.csrf.secretFor(req.headers);
    const headers: Record<string, string> = setCookie ? { 'set-cookie': setCookie } : {};
    const token = this.csrf.token(secret, `account:${slug}`);
    const base = `/t/${encodeURIComponent(slug)}/account`;
    const who = await this.sessions.current(tp, req, reply, this.csrf.cookies);
    const user = who ? await this.users.findById(tp.tenant.id, who.accountId) : undefined;
    if (!who || !user || user.disabledAt) {
      const notice = signedOut === '1' ? 'You were signed out everywhere. Applications have to ask you to sign in again.' : undefined;
      sendHtml(reply.raw, 200, accountSignInPage({ tenantName: tp.tenant.displayName, base, csrf: token, oneTimeCode: this.totp.requiredFor(slug), ...(notice ? { notice } : {}) }), headers);
      return;
    }
    const rows = await this.consents.listActive(tp.tenant.id, user.id);
    const listings = await this.clients.list(tp.tenant.id, [...new Set(rows.map((r) => r.clientId))]);
    const clients = rows.map((row) => {
      const listing = listings.get(row.clientId);
      return {
        consentId: row.id,
        clientName: listing?.name ?? row.clientId,
        clientId: row.clientId,
        redirectHosts: listing?.redirectHosts ?? [],
        scopes: row.scopes.map((scope) => ({ scope, text: describeScope(scope) })),
        resource: row.resource,
        authorizedAt: row.createdAt,
      };
    });
    const notice =
      revoked === '1' ? 'Access revoked. The application can no longer use its tokens.' : disconnected === '1' ? 'Account disconnected. Airlock no longer holds its tokens.' : undefined;
    const accounts = (await this.connected.list(tp.tenant.id, user.id)).map((account) => ({
      serverId: account.serverId,
      serverName: account.serverName,
      serverUrl: account.serverUrl,
      scopes: account.scopes,
      connectedAt: account.createdAt,
    }));
    sendHtml(
      reply.raw,
      200,
      accountPage({
        tenantName: tp.tenant.displayName,
        email: user.email,
        base,
        csrf: token,
        clients,
        canSignOut: who.source === 'account',
        connectedAccounts: connectedAccountsSection({ base, csrf: token, accounts }),
        ...(notice ? { notice } : {}),
      }),
      headers,
    );
  }

  @Post('login')
  async login(@CurrentTenant() tp: TenantProvider, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    reply.hijack();
    const slug = tp.tenant.slug;
    if (!this.checkCsrf(slug, req, reply)) return;
    const email = field(req.body, 'email').trim();
    const result = await this.users.authenticate(tp.tenant, email, field(req.body, 'password'), req.ip);
    const base = `/t/${encodeURIComponent(slug)}/account`;
    // The admin tenant's people sign in here with their one-time code too (as on the login page).
    const oneTimeCode = this.totp.requiredFor(slug);
    const secondFactor = result.ok ? await this.totp.checkSignIn(slug, result.user.id, field(req.body, 'totp')) : { ok: true as const };
    const refusal = signInRefusal(result, secondFactor, oneTimeCode);
    if (refusal || !result.ok) {
      const { secret } = this.csrf.secretFor(req.headers);
      const view = accountSignInPage({ tenantName: tp.tenant.displayName, base, csrf: this.csrf.token(secret, `account:${slug}`), email, error: refusal?.error, oneTimeCode });
      sendHtml(reply.raw, refusal?.status ?? 401, view, refusal?.headers ?? {});
      return;
    }
    const cookie = await this.sessions.start(tp.tenant.slug, result.user.id, req.headers, this.csrf.cookies);
    sendRedirect(reply.raw, base, { 'set-cookie': cookie });
  }

  @Post('revoke')
  async revoke(@CurrentTenant() tp: TenantProvider, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    reply.hijack();
    const slug = tp.tenant.slug;
    if (!this.checkCsrf(slug, req, reply)) return;
    const who = await this.sessions.current(tp, req, reply, this.csrf.cookies);
    const base = `/t/${encodeURIComponent(slug)}/account`;
    if (!who) return sendRedirect(reply.raw, base);
    // Only the signed-in user's own consents can be found, so no id guessing reaches anyone else's.
    const consent = await this.consents.findActiveById(tp.tenant.id, who.accountId, field(req.body, 'consent'));
    if (!consent) {
      sendHtml(reply.raw, 404, messagePage({ tenantName: tp.tenant.displayName, title: 'Not found', message: 'That authorization does not exist or was already revoked.' }));
      return;
    }
    await this.revoker.revoke(tp.tenant, consent.grantId, 'user_revoked');
    await this.consents.markRevoked(tp.tenant.id, consent.grantId);
    this.logger.info({ tenant: slug, clientId: consent.clientId, grantId: consent.grantId }, 'user revoked a grant on the account page');
    sendRedirect(reply.raw, `${base}?revoked=1`);
  }

  /** Connected accounts: deletes the signed-in user's account at one server (revoked there when it can be). */
  @Post('disconnect')
  async disconnect(@CurrentTenant() tp: TenantProvider, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    reply.hijack();
    const slug = tp.tenant.slug;
    if (!this.checkCsrf(slug, req, reply)) return;
    const who = await this.sessions.current(tp, req, reply, this.csrf.cookies);
    const base = `/t/${encodeURIComponent(slug)}/account`;
    if (!who) return sendRedirect(reply.raw, base);
    const serverId = field(req.body, 'server');
    // Only the signed-in user's own accounts can be found (the id is a uuid: anything else finds nothing).
    const result = /^[0-9a-f-]{36}$/i.test(serverId) ? await this.connected.disconnect(tp.tenant.id, who.accountId, serverId) : { deleted: false, revoked: false };
    if (!result.deleted) {
      sendHtml(reply.raw, 404, messagePage({ tenantName: tp.tenant.displayName, title: 'Not found', message: 'That account is not connected.' }));
      return;
    }
    this.logger.info({ tenant: slug, server: serverId, revokedUpstream: result.revoked }, 'user disconnected an account on the account page');
    sendRedirect(reply.raw, `${base}?disconnected=1`);
  }

  @Post('logout')
  async logout(@CurrentTenant() tp: TenantProvider, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    reply.hijack();
    const slug = tp.tenant.slug;
    if (!this.checkCsrf(slug, req, reply)) return;
    const cookie = await this.sessions.end(req.headers, this.csrf.cookies);
    sendRedirect(reply.raw, `/t/${encodeURIComponent(slug)}/account`, { 'set-cookie': cookie });
  }

  /** Ends every session of the signed-in user: every browser (this one included) and every MCP session. */
  @Post('sign-out-everywhere')
  async signOutEverywhere(@CurrentTenant() tp: TenantProvider, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    reply.hijack();
    const slug = tp.tenant.slug;
    if (!this.checkCsrf(slug, req, reply)) return;
    const base = `/t/${encodeURIComponent(slug)}/account`;
    const who = await this.sessions.current(tp, req, reply, this.csrf.cookies);
    if (!who) return sendRedirect(reply.raw, base);
    await this.logins.signOutEverywhere(tp.tenant, who.accountId);
    const cookie = await this.sessions.end(req.headers, this.csrf.cookies);
    sendRedirect(reply.raw, `${base}?signedout=1`, { 'set-cookie': cookie });
  }

  private checkCsrf(slug: string, req: FastifyRequest, reply: FastifyReply): boolean {
    if (this.csrf.verify(req.headers, field(req.body, 'csrf'), `account:${slug}`)) return true;
    sendHtml(reply.raw, 403, messagePage({ tenantName: 'Airlock', title: 'This form has expired', message: 'Reload the page and try again.' }));
    return false;
  }
}
