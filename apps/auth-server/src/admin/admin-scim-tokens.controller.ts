import { Body, Controller, Inject, Param } from '@nestjs/common';
import { adminRoutes, emptyRequestSchema, SCIM_PATH_PREFIX } from '@airlock/contracts';
import type { AuthServerConfig } from '@airlock/config';
import { AUTH_CONFIG } from '../infra/infra.tokens.js';
import { ScimTokensRepository, type ScimTokenRow } from '../scim/scim-tokens.repository.js';
import { AuditAction, AuditTrail, Trail } from './admin-audit-trail.js';
import { AdminRoute } from './admin-route.decorator.js';
import { notFound, parse } from './admin.errors.js';
import { ManagedTenants } from './managed-tenants.service.js';

const view = (row: ScimTokenRow) => ({ id: row.id, createdAt: row.createdAt.toISOString(), lastUsedAt: row.lastUsedAt?.toISOString() ?? null });

/** `/admin/v1/tenants/{tenant}/scim-tokens`: the bearer tokens a tenant's provisioning client uses for SCIM. */
@Controller()
export class AdminScimTokensController {
  constructor(
    private readonly tokens: ScimTokensRepository,
    private readonly managed: ManagedTenants,
    @Inject(AUTH_CONFIG) private readonly config: AuthServerConfig,
  ) {}

  @AdminRoute(adminRoutes.listScimTokens)
  async listScimTokens(@Param('tenant') tenant: string) {
    const { id } = await this.managed.get(tenant);
    return { items: (await this.tokens.list(id)).map(view) };
  }

  @AdminRoute(adminRoutes.createScimToken)
  @AuditAction('admin.scim_token.create')
  async createScimToken(@Param('tenant') slug: string, @Body() body: unknown, @Trail() trail: AuditTrail) {
    parse(emptyRequestSchema, body ?? {});
    const tenant = await this.managed.get(slug);
    const { row, token } = await this.tokens.create(tenant.id);
    trail.target = row.id;
    trail.change(undefined, view(row));
    return { ...view(row), token, baseUrl: `${this.config.publicUrl}${SCIM_PATH_PREFIX}/${tenant.slug}` };
  }

  @AdminRoute(adminRoutes.revokeScimToken)
  @AuditAction('admin.scim_token.revoke')
  async revokeScimToken(@Param('tenant') slug: string, @Param('id') id: string, @Trail() trail: AuditTrail): Promise<void> {
    const tenant = await this.managed.get(slug);
    const revoked = await this.tokens.revoke(tenant.id, id);
    if (!revoked) throw notFound('SCIM token');
    trail.change(view(revoked), undefined);
  }
}
