import type { ServerResponse } from 'node:http';
import { Controller, Get, Param, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { TenantNotFoundPageFilter } from '../../interactions/tenant-not-found-page.filter.js';
import type { TenantProvider } from '../../oidc/tenant-providers.js';
import { CurrentTenant, TenantGuard } from '../../tenants/current-tenant.js';
import { OidcBroker } from './oidc-broker.service.js';

/**
 * The redirect URI registered at a tenant's OpenID provider: `/t/<tenant>/federation/<provider>/callback`.
 * Sign-ins start from the login page (`/t/<tenant>/interaction/<uid>/federation/<provider>`), inside the
 * interaction cookie's path, so only the browser that holds the authorization request can start one.
 */
@Controller('t/:tenant/federation')
@UseGuards(TenantGuard)
@UseFilters(TenantNotFoundPageFilter)
export class OidcFederationController {
  constructor(private readonly broker: OidcBroker) {}

  @Get(':provider/callback')
  async callback(@CurrentTenant() tp: TenantProvider, @Param('provider') provider: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    reply.hijack();
    const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
    await this.broker.callback(tp, provider, query, req.headers, reply.raw as ServerResponse);
  }
}
