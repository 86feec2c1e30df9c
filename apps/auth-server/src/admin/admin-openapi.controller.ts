import { Controller, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { AuthServerConfig } from '@airlock/config';
import { adminOpenApiDocument, adminRoutes, issuerUrl, type OpenApiDocument } from '@airlock/contracts';
import { AUTH_CONFIG } from '../infra/infra.tokens.js';
import { ADMIN_TENANT_SLUG } from '../tenants/tenant.repository.js';
import { AdminRoute } from './admin-route.decorator.js';

/**
 * `GET /admin/v1/openapi.json`: the admin API's OpenAPI 3.1 document, generated once from the route table.
 * Public: it is the same for every deployment but the URLs, describes no tenant data and no secret (the
 * code it is generated from is public too), and a client or console needs it before it holds a token.
 */
@Controller()
export class AdminOpenApiController {
  private document: OpenApiDocument | undefined;

  constructor(@Inject(AUTH_CONFIG) private readonly config: AuthServerConfig) {}

  @AdminRoute(adminRoutes.openApiDocument)
  openApiDocument(@Res({ passthrough: true }) reply: FastifyReply): OpenApiDocument {
    void reply.header('cache-control', 'public, max-age=300');
    this.document ??= adminOpenApiDocument({ serverUrl: this.config.publicUrl, tokenUrl: `${issuerUrl(this.config.publicUrl, ADMIN_TENANT_SLUG)}/token` });
    return this.document;
  }
}
