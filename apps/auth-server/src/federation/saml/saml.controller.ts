import type { ServerResponse } from 'node:http';
import { Controller, Get, Inject, Param, Post, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '@airlock/observability';
import { LOGGER } from '../../infra/infra.tokens.js';
import { messagePage } from '../../interactions/interaction-views.js';
import { sendHtml, sendRedirect } from '../../interactions/page-headers.js';
import { TenantNotFoundPageFilter } from '../../interactions/tenant-not-found-page.filter.js';
import type { TenantProvider } from '../../oidc/tenant-providers.js';
import { CurrentTenant, TenantGuard } from '../../tenants/current-tenant.js';
import { FederatedLogin } from '../federated-login.js';
import { FederationAudit } from '../federation-audit.js';
import { SamlBroker } from './saml-broker.service.js';
import { samlEndpoints } from './saml-endpoints.js';
import { SamlProviderRepository, type SamlProvider } from './saml-provider.repository.js';
import { rejectionPage, SamlRejection } from './saml-rejection.js';
import { SAML_STATE_COOKIE, samlStateCookie } from './saml-login-start.service.js';

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

/**
 * SAML 2.0 service provider endpoints of a tenant's identity provider, at
 * `/t/<tenant>/federation/<provider>/saml/`: `metadata` (also the SP entity id), `acs` (HTTP-POST binding)
 * and `finish` (back into the oidc-provider interaction). A sign-in starts only from the login page's
 * provider button (SamlLoginStart, a CSRF-checked POST that needs the interaction's cookie). Every refusal is a page with the request id and an audit event with the
 * reason; never a stack trace.
 */
@Controller('t/:tenant/federation/:provider/saml')
@UseGuards(TenantGuard)
@UseFilters(TenantNotFoundPageFilter)
export class SamlController {
  constructor(
    private readonly providers: SamlProviderRepository,
    private readonly broker: SamlBroker,
    private readonly login: FederatedLogin,
    private readonly audit: FederationAudit,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Get('metadata')
  async metadata(@CurrentTenant() tp: TenantProvider, @Param('provider') slug: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    reply.hijack();
    const provider = await this.providers.find(tp.tenant.id, slug);
    if (!provider) return this.page(reply, tp, String(req.id), new SamlRejection('provider_unknown'));
    reply.raw.writeHead(200, { 'content-type': 'application/samlmetadata+xml; charset=utf-8', 'cache-control': 'public, max-age=300' });
    reply.raw.end(this.broker.metadata(tp.tenant, provider));
  }

  @Post('acs')
  async acs(@CurrentTenant() tp: TenantProvider, @Param('provider') slug: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    reply.hijack();
    const requestId = String(req.id);
    try {
      const provider = await this.usable(tp, slug);
      if (provider instanceof SamlRejection) throw provider;
      const accepted = await this.broker.acceptResponse(tp.tenant, provider, { samlResponse: field(req.body, 'SAMLResponse'), relayState: field(req.body, 'RelayState') });
      const endpoints = samlEndpoints(tp.tenant, provider.slug);
      sendRedirect(reply.raw, accepted.kind === 'interaction' ? `${endpoints.finishUrl}?ticket=${encodeURIComponent(accepted.ticket)}` : accepted.redirect);
    } catch (error) {
      await this.refuse(reply, tp, slug, requestId, error);
    }
  }

  @Get('finish')
  async finish(@CurrentTenant() tp: TenantProvider, @Param('provider') slug: string, @Query('ticket') ticket: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    reply.hijack();
    const requestId = String(req.id);
    try {
      const provider = await this.usable(tp, slug);
      if (provider instanceof SamlRejection) throw provider;
      const { interactionUid, identity } = await this.broker.finish(provider, typeof ticket === 'string' ? ticket : '', cookie(req, SAML_STATE_COOKIE));
      const endpoints = samlEndpoints(tp.tenant, provider.slug);
      reply.raw.setHeader('set-cookie', samlStateCookie(endpoints.path, '', endpoints.acsUrl.startsWith('https:'), 0));
      // Links or provisions the user, records the audit event, and redirects back into the authorization request (or shows why not).
      await this.login.finish(tp, interactionUid, identity, reply.raw as ServerResponse);
    } catch (error) {
      await this.refuse(reply, tp, slug, requestId, error);
    }
  }

  private async usable(tp: TenantProvider, slug: string): Promise<SamlProvider | SamlRejection> {
    const provider = await this.providers.find(tp.tenant.id, slug);
    if (!provider) return new SamlRejection('provider_unknown');
    if (!provider.enabled) return new SamlRejection('provider_disabled');
    return provider;
  }

  /** Audits a refusal (unless FEDERATED_SIGN_IN did) and answers with its page; anything else is a 500 page. */
  private async refuse(reply: FastifyReply, tp: TenantProvider, slug: string, requestId: string, error: unknown): Promise<void> {
    if (!(error instanceof SamlRejection)) {
      this.logger.error({ err: error, tenant: tp.tenant.slug, provider: slug, requestId }, 'SAML sign-in failed');
      return this.send(reply, tp, requestId, 500, 'Something went wrong', 'The sign-in could not be completed. Try again in a moment.');
    }
    this.logger.warn({ tenant: tp.tenant.slug, provider: slug, requestId, reason: error.reason, detail: error.detail }, 'SAML sign-in refused');
    if (!error.audited) {
      await this.audit.record({ tenant: tp.tenant.slug, action: 'federation.sign_in', outcome: 'failure', target: slug, details: { protocol: 'saml', reason: error.reason, requestId } });
    }
    this.page(reply, tp, requestId, error);
  }

  private page(reply: FastifyReply, tp: TenantProvider, requestId: string, rejection: SamlRejection): void {
    const page = rejectionPage(rejection.reason);
    this.send(reply, tp, requestId, page.status, page.title, page.message);
  }

  private send(reply: FastifyReply, tp: TenantProvider, requestId: string, status: number, title: string, message: string): void {
    sendHtml(reply.raw, status, messagePage({ tenantName: tp.tenant.displayName, title, message: `${message} Reference: ${requestId}.` }));
  }
}
