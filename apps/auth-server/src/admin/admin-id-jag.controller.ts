import { Body, Controller, Param } from '@nestjs/common';
import { adminRoutes, createIdJagAudienceRequestSchema, createTrustedIssuerRequestSchema, putPreApprovalRequestSchema, updateIdJagAudienceRequestSchema, updateTrustedIssuerRequestSchema } from '@airlock/contracts';
import { z } from 'zod';
import { AuditAction, AuditTrail, Trail } from './admin-audit-trail.js';
import { CurrentAdmin, type AdminCaller } from './admin-caller.js';
import { AdminRoute } from './admin-route.decorator.js';
import { parse } from './admin.errors.js';
import { AdminIdJagService } from './admin-id-jag.service.js';

const idParams = z.object({ tenant: z.string(), id: z.uuid() });
const clientParams = z.object({ tenant: z.string(), clientId: z.string().min(1).max(2000) });

/** `/admin/v1/tenants/{tenant}/trusted-issuers`, `/id-jag-audiences` and `/pre-approvals`. */
@Controller()
export class AdminIdJagController {
  constructor(private readonly idJag: AdminIdJagService) {}

  @AdminRoute(adminRoutes.listTrustedIssuers)
  async listTrustedIssuers(@Param('tenant') tenant: string) {
    return { items: await this.idJag.listIssuers(tenant) };
  }

  @AdminRoute(adminRoutes.createTrustedIssuer)
  @AuditAction('admin.trusted_issuer.create')
  async createTrustedIssuer(@Param('tenant') tenant: string, @Body() body: unknown, @Trail() trail: AuditTrail) {
    return this.idJag.createIssuer(tenant, parse(createTrustedIssuerRequestSchema, body), trail);
  }

  @AdminRoute(adminRoutes.updateTrustedIssuer)
  @AuditAction('admin.trusted_issuer.update')
  async updateTrustedIssuer(@Param() params: unknown, @Body() body: unknown, @Trail() trail: AuditTrail) {
    const { tenant, id } = parse(idParams, params);
    return this.idJag.updateIssuer(tenant, id, parse(updateTrustedIssuerRequestSchema, body), trail);
  }

  @AdminRoute(adminRoutes.deleteTrustedIssuer)
  @AuditAction('admin.trusted_issuer.delete')
  async deleteTrustedIssuer(@Param() params: unknown, @Trail() trail: AuditTrail): Promise<void> {
    const { tenant, id } = parse(idParams, params);
    await this.idJag.deleteIssuer(tenant, id, trail);
  }

  @AdminRoute(adminRoutes.listIdJagAudiences)
  async listIdJagAudiences(@Param('tenant') tenant: string) {
    return { items: await this.idJag.listAudiences(tenant) };
  }

  @AdminRoute(adminRoutes.createIdJagAudience)
  @AuditAction('admin.id_jag_audience.create')
  async createIdJagAudience(@Param('tenant') tenant: string, @Body() body: unknown, @Trail() trail: AuditTrail) {
    return this.idJag.createAudience(tenant, parse(createIdJagAudienceRequestSchema, body), trail);
  }

  @AdminRoute(adminRoutes.updateIdJagAudience)
  @AuditAction('admin.id_jag_audience.update')
  async updateIdJagAudience(@Param() params: unknown, @Body() body: unknown, @Trail() trail: AuditTrail) {
    const { tenant, id } = parse(idParams, params);
    return this.idJag.updateAudience(tenant, id, parse(updateIdJagAudienceRequestSchema, body), trail);
  }

  @AdminRoute(adminRoutes.deleteIdJagAudience)
  @AuditAction('admin.id_jag_audience.delete')
  async deleteIdJagAudience(@Param() params: unknown, @Trail() trail: AuditTrail): Promise<void> {
    const { tenant, id } = parse(idParams, params);
    await this.idJag.deleteAudience(tenant, id, trail);
  }

  @AdminRoute(adminRoutes.listPreApprovals)
  async listPreApprovals(@Param('tenant') tenant: string) {
    return { items: await this.idJag.listPreApprovals(tenant) };
  }

  @AdminRoute(adminRoutes.putPreApproval)
  @AuditAction('admin.pre_approval.put')
  async putPreApproval(@Param() params: unknown, @Body() body: unknown, @CurrentAdmin() caller: AdminCaller, @Trail() trail: AuditTrail) {
    const { tenant, clientId } = parse(clientParams, params);
    const { scopes } = parse(putPreApprovalRequestSchema, body);
    return this.idJag.putPreApproval(tenant, clientId, scopes, caller.subject, trail);
  }

  @AdminRoute(adminRoutes.deletePreApproval)
  @AuditAction('admin.pre_approval.delete')
  async deletePreApproval(@Param() params: unknown, @Trail() trail: AuditTrail): Promise<void> {
    const { tenant, clientId } = parse(clientParams, params);
    await this.idJag.deletePreApproval(tenant, clientId, trail);
  }
}
