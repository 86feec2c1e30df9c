import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Controller, Get, Inject, Param, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthServerConfig } from '@airlock/config';
import type { Logger } from '@airlock/observability';
import type { HotStore } from '@airlock/redis';
import { AdminTotpService } from '../admin-totp/admin-totp.service.js';
import { ConnectedAccountsService, connectCallbackUrl } from '../connected-accounts/connected-accounts.service.js';
import type { OAuthUserServer } from '../connected-accounts/connected-accounts.service.js';
import { AUTH_CONFIG, HOT_STORE, LOGGER } from '../infra/infra.tokens.js';
import { CsrfService } from '../interactions/csrf.service.js';
import { messagePage } from '../interactions/interaction-views.js';
import { sendHtml, sendRedirect } from '../interactions/page-headers.js';
import { signInRefusal } from '../interactions/sign-in-refusal.js';
import { TenantNotFoundPageFilter } from '../interactions/tenant-not-found-page.filter.js';
import { UiCookies } from '../interactions/ui-cookies.js';
import type { TenantProvider } from '../oidc/tenant-providers.js';
import { CurrentTenant, TenantGuard } from '../tenants/current-tenant.js';
import { UsersService } from '../users/users.service.js';
import { AccountSessions } from './account-session.service.js';
import { connectConfirmPage, connectSignInPage, connectedPage } from './connect-views.js';

/** How long a user has at the upstream's authorization server before the callback is refused. */
const TRANSACTION_TTL_MS = 10 * 60 * 1000;
const BINDING_COOKIE = 'airlock_connect';

/** What the start remembers for the callback, single use, keyed by the hash of `state`. */
interface Transaction {
  serverId: string;
  userId: string;
  verifier: string;
  /** sha256 of the browser's binding cookie: the callback must come from the browser that started. */
  binding: string;
  scope?: string;
}

function field(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}

const sha256 = (value: string) => createHash('sha256').update(value).digest();

/**
 * The connect page of connected accounts (issue 17): `/t/<tenant>/connect/<server>`, where the gateway's
 * "connect your account" link leads. The signed-in user (the login session of an authorization, or a
 * sign-in here) confirms, and goes to the upstream's authorization server with authorization code + PKCE
 * S256 + `resource` (the upstream's URL), `state` bound to this browser (a cookie) and to the user. The
 * callback checks state, browser, user and RFC 9207 `iss`, exchanges the code, stores the tokens sealed
 * and shows what was granted.
 */
@Controller('t/:tenant/connect/:server')
@UseGuards(TenantGuard)
@UseFilters(TenantNotFoundPageFilter)
export class ConnectController {
  private readonly cookies: UiCookies;

  constructor(
    private readonly accounts: ConnectedAccountsService,
    private readonly sessions: AccountSessions,
    private readonly users: UsersService,
    private readonly csrf: CsrfService,
    private readonly totp: AdminTotpService,
    @Inject(HOT_STORE) private readonly hot: HotStore,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(AUTH_CONFIG) config: AuthServerConfig,
  ) {
    this.cookies = new UiCookies(config.publicUrl.startsWith('https:'));
  }

  @Get()
  async show(@CurrentTenant() tp: TenantProvider, @Param('server') name: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    reply.hijack();
    const server = await this.serverOr404(tp, name, reply);
    if (!server) return;
    const { secret, setCookie } = this.csrf.secretFor(req.headers);
    const headers: Record<string, string> = setCookie ? { 'set-cookie': setCookie } : {};
    const csrf = this.csrf.token(secret, this.csrfScope(tp));
    const base = this.base(tp, server.name);
    const user = await this.signedIn(tp, req, reply);
    if (!user) {
      sendHtml(reply.raw, 200, connectSignInPage({ tenantName: tp.tenant.displayName, serverName: server.name, base, csrf, oneTimeCode: this.totp.requiredFor(tp.tenant.slug) }), headers);
      return;
    }
    const connected = (await this.accounts.list(tp.tenant.id, user.id)).some((account) => account.serverId === server.id);
    sendHtml(
      reply.raw,
      200,
      connectConfirmPage({ tenantName: tp.tenant.displayName, serverName: server.name, serverUrl: server.url, email: user.email, base, accountUrl: this.accountUrl(tp), csrf, connected }),
      headers,
    );
  }

  @Post('login')
  async login(@CurrentTenant() tp: TenantProvider, @Param('server') name: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    reply.hijack();
    if (!this.checkCsrf(tp, req, reply)) return;
    const server = await this.serverOr404(tp, name, reply);
    if (!server) return;
    const slug = tp.tenant.slug;
    const email = field(req.body, 'email').trim();
    const result = await this.users.authenticate(tp.tenant, email, field(req.body, 'password'), req.ip);
    const oneTimeCode = this.totp.requiredFor(slug);
    const secondFactor = result.ok ? await this.totp.checkSignIn(slug, result.user.id, field(req.body, 'totp')) : { ok: true as const };
    const refusal = signInRefusal(result, secondFactor, oneTimeCode);
    if (refusal || !result.ok) {
      const { secret } = this.csrf.secretFor(req.headers);
      const view = connectSignInPage({ tenantName: tp.tenant.displayName, serverName: server.name, base: this.base(tp, server.name), csrf: this.csrf.token(secret, this.csrfScope(tp)), email, error: refusal?.error, oneTimeCode });
      sendHtml(reply.raw, refusal?.status ?? 401, view, refusal?.headers ?? {});
      return;
    }
    // The account page's own sign-in (same cookie, same lifetime): the account page then shows the connection too.
    const cookie = await this.sessions.start(slug, result.user.id, req.headers, this.csrf.cookies);
    sendRedirect(reply.raw, this.base(tp, server.name), { 'set-cookie': cookie });
  }

  /** Starts the authorization at the upstream's authorization server. */
  @Post()
  async start(@CurrentTenant() tp: TenantProvider, @Param('server') name: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    reply.hijack();
    if (!this.checkCsrf(tp, req, reply)) return;
    const server = await this.serverOr404(tp, name, reply);
    if (!server) return;
    const user = await this.signedIn(tp, req, reply);
    if (!user) return sendRedirect(reply.raw, this.base(tp, server.name));
    const redirectUri = connectCallbackUrl(tp.tenant.issuer, server.name);
    let client;
    try {
      client = await this.accounts.client(server, redirectUri, tp.tenant.displayName);
    } catch (error) {
      this.logger.warn({ err: error, tenant: tp.tenant.slug, upstream: server.name }, 'connected accounts: the upstream authorization server could not be set up');
      return this.fail(tp, reply, 502, `${server.name}’s sign-in could not be reached or does not support connecting accounts. Try again later, or ask your administrator.`);
    }
    const verifier = randomBytes(32).toString('base64url');
    const state = randomBytes(32).toString('base64url');
    const binding = randomBytes(32).toString('base64url');
    const transaction: Transaction = { serverId: server.id, userId: user.id, verifier, binding: sha256(binding).toString('base64url'), ...(client.scope ? { scope: client.scope } : {}) };
    await this.hot.set(this.transactionKey(tp, state), JSON.stringify(transaction), { ttlMs: TRANSACTION_TTL_MS });
    const url = new URL(client.authorizationEndpoint);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', client.clientId);
    url.searchParams.set('redirect_uri', redirectUri);
    url.searchParams.set('state', state);
    url.searchParams.set('code_challenge', sha256(verifier).toString('base64url'));
    url.searchParams.set('code_challenge_method', 'S256');
    // RFC 8707: the token is for exactly this upstream (MCP authorization requires it).
    url.searchParams.set('resource', server.url);
    if (client.scope) url.searchParams.set('scope', client.scope);
    sendRedirect(reply.raw, url.href, { 'set-cookie': this.cookies.serialize(BINDING_COOKIE, binding, { maxAgeSeconds: TRANSACTION_TTL_MS / 1000 }) });
  }

  @Get('callback')
  async callback(@CurrentTenant() tp: TenantProvider, @Param('server') name: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    reply.hijack();
    const params = new URLSearchParams(req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '');
    const state = params.get('state');
    // Single use: taken before anything is checked, so a replayed callback finds nothing.
    const stored = state ? await this.hot.getDel(this.transactionKey(tp, state)) : null;
    const transaction = stored ? (JSON.parse(stored) as Transaction) : undefined;
    const server = await this.accounts.server(tp.tenant.id, name);
    const clearBinding = { 'set-cookie': this.cookies.clear(BINDING_COOKIE) };
    const refuse = (reason: string, message = 'This connection could not be completed. Start again from your application.') => {
      this.logger.warn({ tenant: tp.tenant.slug, upstream: name, reason }, 'connected accounts: callback refused');
      this.fail(tp, reply, 400, message, clearBinding);
    };
    if (!transaction || !server || transaction.serverId !== server.id) return refuse('unknown or used state', 'This connection was already used or took too long. Start again from your application.');
    const binding = this.cookies.read(req.headers, BINDING_COOKIE);
    if (!binding || !timingSafeEqual(sha256(binding), Buffer.from(transaction.binding, 'base64url'))) return refuse('callback from another browser');
    // Bound to the user too: whoever is signed in here now must be the one who started.
    const user = await this.signedIn(tp, req, reply);
    if (!user || user.id !== transaction.userId) return refuse('another user is signed in');
    const redirectUri = connectCallbackUrl(tp.tenant.issuer, server.name);
    const client = await this.accounts.client(server, redirectUri, tp.tenant.displayName).catch(() => undefined);
    if (!client) return refuse('client unavailable');
    // RFC 9207: an `iss` must name the authorization server the request went to (mix-up defence); required when it says it sends one.
    const iss = params.get('iss');
    if (iss !== null ? iss !== client.issuer : client.issParameterSupported) return refuse('iss mismatch');
    const error = params.get('error');
    if (error) return refuse(`upstream answered ${error.slice(0, 60)}`, error === 'access_denied' ? `You did not allow access at ${server.name}. Nothing was connected.` : undefined);
    const code = params.get('code');
    if (!code) return refuse('no code');
    let answer;
    try {
      answer = await this.accounts.exchangeCode(client, { code, redirect_uri: redirectUri, code_verifier: transaction.verifier, resource: server.url });
    } catch (failure) {
      this.logger.warn({ err: failure, tenant: tp.tenant.slug, upstream: server.name }, 'connected accounts: code exchange failed');
      return this.fail(tp, reply, 502, `${server.name}’s sign-in could not be reached. Try again later.`, clearBinding);
    }
    if (!answer.ok) return refuse(`token endpoint answered ${answer.error}`);
    await this.accounts.save(server, user.id, answer, transaction.scope);
    this.logger.info({ tenant: tp.tenant.slug, upstream: server.name }, 'connected accounts: account connected');
    const scopes = (answer.scope ?? transaction.scope ?? '').split(' ').filter(Boolean);
    sendHtml(
      reply.raw,
      200,
      connectedPage({
        tenantName: tp.tenant.displayName,
        serverName: server.name,
        serverUrl: server.url,
        scopes,
        expiresAt: answer.expiresIn === undefined ? null : new Date(Date.now() + answer.expiresIn * 1000),
        refreshable: answer.refreshToken !== undefined,
        accountUrl: this.accountUrl(tp),
      }),
      clearBinding,
    );
  }

  private async signedIn(tp: TenantProvider, req: FastifyRequest, reply: FastifyReply): Promise<{ id: string; email: string } | undefined> {
    const who = await this.sessions.current(tp, req, reply, this.csrf.cookies);
    const user = who ? await this.users.findById(tp.tenant.id, who.accountId) : undefined;
    return user && !user.disabledAt ? { id: user.id, email: user.email } : undefined;
  }

  private async serverOr404(tp: TenantProvider, name: string, reply: FastifyReply): Promise<OAuthUserServer | undefined> {
    const server = await this.accounts.server(tp.tenant.id, name);
    if (!server) this.fail(tp, reply, 404, 'There is no server of that name whose account can be connected.');
    return server;
  }

  private fail(tp: TenantProvider, reply: FastifyReply, status: number, message: string, headers: Record<string, string> = {}): void {
    sendHtml(reply.raw, status, messagePage({ tenantName: tp.tenant.displayName, title: 'Account not connected', message }), headers);
  }

  private checkCsrf(tp: TenantProvider, req: FastifyRequest, reply: FastifyReply): boolean {
    if (this.csrf.verify(req.headers, field(req.body, 'csrf'), this.csrfScope(tp))) return true;
    sendHtml(reply.raw, 403, messagePage({ tenantName: 'Airlock', title: 'This form has expired', message: 'Reload the page and try again.' }));
    return false;
  }

  private csrfScope(tp: TenantProvider): string {
    return `connect:${tp.tenant.slug}`;
  }

  private base(tp: TenantProvider, server: string): string {
    return `/t/${encodeURIComponent(tp.tenant.slug)}/connect/${encodeURIComponent(server)}`;
  }

  private accountUrl(tp: TenantProvider): string {
    return `/t/${encodeURIComponent(tp.tenant.slug)}/account`;
  }

  private transactionKey(tp: TenantProvider, state: string): string {
    return `connect:${tp.tenant.id}:${sha256(state).toString('base64url')}`;
  }
}
