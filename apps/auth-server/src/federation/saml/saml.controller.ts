import { Controller, Get, Inject, Param, Post, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '@airlock/observability';
import { LOGGER } from '../../infra/infra.tokens.js';
import { messagePage } from '../../interactions/interaction-views.js';
import { sendHtml, sendRedirect } from '../../interactions/page-headers.js';
import { TenantNotFoundPageFilter } from '../../interactions/tenant-not-found-page.filter.js';
import type { TenantProvider } from '../../oidc/tenant-providers.js';
import { CurrentTenant, TenantGuard } from '../../tenants/current-tenant.js';
import { SamlAudit } from './saml-audit.js';
import { SamlBroker } from './saml-broker.service.js';
import { samlEndpoints } from './saml-endpoints.js';
import { SamlProviderRepository, type SamlProvider } from './saml-provider.repository.js';
import { rejectionPage, SamlRejection } from './saml-rejection.js';
import { PENDING_REQUEST_TTL_MS } from './saml-state.store.js';

/** Binds the RelayState to the browser that started the sign-in (sent back on the finish redirect, never cross-site). */
const STATE_COOKIE = 'airlock_saml_state';

function field(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}

function cookie(req: FastifyRequest, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

function stateCookie(path: string, value: string, secure: boolean, maxAgeSeconds: number): string {
  return `${STATE_COOKIE}=${value}; Path=${path}; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}

/**
 * SAML 2.0 service provider endpoints of a tenant's identity provider, at
 * `/t/<tenant>/federation/<provider>/saml/`: `metadata` (the SP entity id), `login` (SP-initiated, from the
 * login page), `acs` (HTTP-POST binding) and `finish` (back into the oidc-provider interaction).
 * Every refusal is a page with the request id and an audit event with the reason; never a stack trace.
 */
@Controller('t/:tenant/federation/:provider/saml')
@UseGuards(TenantGuard)
@UseFilters(TenantNotFoundPageFilter)
export class SamlController {
  constructor(
    private readonly providers: SamlProviderRepository,
    private readonly broker: SamlBroker,
    private readonly audit: SamlAudit,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Get('metadata')
  async metadata(@CurrentTenant() tp: TenantProvider, @Param('provider') slug: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    reply.hijack();
    const provider = await this.providers.find(tp.tenant.id, slug);
    if (!provider) return this.refuse(reply, tp, String(req.id), new SamlRejection('provider_unknown'));
    reply.raw.writeHead(200, { 'content-type': 'application/samlmetadata+xml; charset=utf-8', 'cache-control': 'public, max-age=300' });
    reply.raw.end(this.broker.metadata(tp.tenant, provider));
  }

  @Get('login')
  async login(
    @CurrentTenant() tp: TenantProvider,
    @Param('provider') slug: string,
    @Query('interaction') uid: string | undefined,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    reply.hijack();
    const requestId = String(req.id);
    const provider = await this.usable(tp, slug);
    if (provider instanceof SamlRejection) return this.refuse(reply, tp, requestId, provider);
    const interaction = typeof uid === 'string' && uid.length <= 128 ? await tp.provider.Interaction.find(uid) : undefined;
    if (!interaction || interaction.prompt.name !== 'login') return this.refuse(reply, tp, requestId, new SamlRejection('interaction_expired'));
    const { url, relayState } = await this.broker.startLogin(tp.tenant, provider, interaction.uid);
    const endpoints = samlEndpoints(tp.tenant, provider.slug);
    sendRedirect(reply.raw, url, {
      'set-cookie': stateCookie(endpoints.path, relayState, endpoints.acsUrl.startsWith('https:'), PENDING_REQUEST_TTL_MS / 1000),
    });
  }

  @Post('acs')
  async acs(@CurrentTenant() tp: TenantProvider, @Param('provider') slug: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    reply.hijack();
    const requestId = String(req.id);
    const provider = await this.usable(tp, slug);
    if (provider instanceof SamlRejection) return this.refuse(reply, tp, requestId, provider, slug);
    try {
      const accepted = await this.broker.acceptResponse(tp.tenant, provider, { samlResponse: field(req.body, 'SAMLResponse'), relayState: field(req.body, 'RelayState') });
      await this.audit.record({ tenant: tp.tenant.slug, provider: slug, requestId, outcome: 'success', userId: accepted.userId, reason: accepted.kind === 'unsolicited' ? 'idp_initiated' : undefined });
      const endpoints = samlEndpoints(tp.tenant, provider.slug);
      sendRedirect(reply.raw, accepted.kind === 'interaction' ? `${endpoints.finishUrl}?state=${encodeURIComponent(accepted.relayState)}` : accepted.redirect);
    } catch (error) {
      if (!(error instanceof SamlRejection)) {
        this.logger.error({ err: error, tenant: tp.tenant.slug, provider: slug, requestId }, 'SAML assertion consumer failed');
        return this.fail(reply, tp, requestId, 500, 'Something went wrong', 'The sign-in could not be completed. Try again in a moment.');
      }
      return this.refuse(reply, tp, requestId, error, slug);
    }
  }

  @Get('finish')
  async finish(
    @CurrentTenant() tp: TenantProvider,
    @Param('provider') slug: string,
    @Query('state') state: string | undefined,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    reply.hijack();
    const requestId = String(req.id);
    const provider = await this.usable(tp, slug);
    if (provider instanceof SamlRejection) return this.refuse(reply, tp, requestId, provider, slug);
    const endpoints = samlEndpoints(tp.tenant, provider.slug);
    const clear = stateCookie(endpoints.path, '', endpoints.acsUrl.startsWith('https:'), 0);
    try {
      const returnTo = await this.broker.finish(tp, provider, typeof state === 'string' ? state : '', cookie(req, STATE_COOKIE));
      sendRedirect(reply.raw, returnTo, { 'set-cookie': clear });
    } catch (error) {
      if (!(error instanceof SamlRejection)) throw error;
      return this.refuse(reply, tp, requestId, error, slug);
    }
  }

  private async usable(tp: TenantProvider, slug: string): Promise<SamlProvider | SamlRejection> {
    const provider = await this.providers.find(tp.tenant.id, slug);
    if (!provider) return new SamlRejection('provider_unknown');
    if (!provider.enabled) return new SamlRejection('provider_disabled');
    return provider;
  }

  private async refuse(reply: FastifyReply, tp: TenantProvider, requestId: string, rejection: SamlRejection, provider?: string): Promise<void> {
    if (provider !== undefined) {
      await this.audit.record({ tenant: tp.tenant.slug, provider, requestId, outcome: 'failure', reason: rejection.reason, detail: rejection.detail });
    }
    const page = rejectionPage(rejection.reason);
    this.fail(reply, tp, requestId, page.status, page.title, page.message);
  }

  private fail(reply: FastifyReply, tp: TenantProvider, requestId: string, status: number, title: string, message: string): void {
    sendHtml(reply.raw, status, messagePage({ tenantName: tp.tenant.displayName, title, message: `${message} Reference: ${requestId}` }));
  }
}
