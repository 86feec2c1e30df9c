import { Injectable } from '@nestjs/common';
import type { CreateIdJagAudienceRequest, CreateTrustedIssuerRequest, UpdateIdJagAudienceRequest, UpdateTrustedIssuerRequest } from '@airlock/contracts';
import { IdJagRepository, type IdJagAudienceRow, type PreApprovalRow, type TrustedIssuerRow } from '../id-jag/id-jag.repository.js';
import type { AuditTrail } from './admin-audit-trail.js';
import { AdminError, notFound } from './admin.errors.js';
import { ManagedTenants } from './managed-tenants.service.js';

const dates = <T extends { createdAt: Date; updatedAt?: Date }>(row: T) => ({ ...row, createdAt: row.createdAt.toISOString(), ...(row.updatedAt ? { updatedAt: row.updatedAt.toISOString() } : {}) });

export const trustedIssuerJson = (row: TrustedIssuerRow) => dates(row);
export const idJagAudienceJson = (row: IdJagAudienceRow) => dates(row);
export const preApprovalJson = (row: PreApprovalRow) => dates(row);

/**
 * Trusted IdPs (which ID-JAGs a tenant redeems), ID-JAG audiences (what it issues ID-JAGs for as an IdP)
 * and pre-approved clients. The token endpoint reads these rows on every request, so a change takes
 * effect at once on every replica.
 */
@Injectable()
export class AdminIdJagService {
  constructor(
    private readonly repository: IdJagRepository,
    private readonly managed: ManagedTenants,
  ) {}

  async listIssuers(slug: string) {
    return (await this.repository.listIssuers((await this.managed.get(slug)).id)).map(trustedIssuerJson);
  }

  async createIssuer(slug: string, input: CreateTrustedIssuerRequest, trail: AuditTrail) {
    const tenant = await this.managed.get(slug);
    trail.target = input.issuer;
    if (input.issuer === tenant.issuer) throw new AdminError('invalid_request', 'a tenant cannot trust itself as an ID-JAG issuer');
    const created = await this.repository.insertIssuer(tenant.id, {
      issuer: input.issuer,
      jwksUri: input.jwksUri ?? null,
      jwks: input.jwks ?? null,
      allowedClientIds: input.allowedClientIds ?? [],
      enabled: input.enabled ?? true,
      provisionUsers: input.provisionUsers ?? false,
    });
    if (!created) throw new AdminError('conflict', `${input.issuer} is already trusted`);
    trail.change(undefined, trustedIssuerJson(created));
    return trustedIssuerJson(created);
  }

  async updateIssuer(slug: string, id: string, patch: UpdateTrustedIssuerRequest, trail: AuditTrail) {
    const tenant = await this.managed.get(slug);
    const before = await this.repository.findIssuerById(tenant.id, id);
    if (!before) throw notFound('trusted issuer');
    const jwksUri = patch.jwksUri === undefined ? before.jwksUri : patch.jwksUri;
    const jwks = patch.jwks === undefined ? before.jwks : patch.jwks;
    if (jwksUri === null && jwks === null) throw new AdminError('invalid_request', 'jwksUri or jwks must remain');
    const updated = await this.repository.updateIssuer(tenant.id, id, patch);
    if (!updated) throw notFound('trusted issuer');
    trail.target = updated.issuer;
    trail.change(trustedIssuerJson(before), trustedIssuerJson(updated));
    return trustedIssuerJson(updated);
  }

  async deleteIssuer(slug: string, id: string, trail: AuditTrail): Promise<void> {
    const tenant = await this.managed.get(slug);
    const before = await this.repository.findIssuerById(tenant.id, id);
    if (!before || !(await this.repository.deleteIssuer(tenant.id, id))) throw notFound('trusted issuer');
    trail.target = before.issuer;
    trail.change(trustedIssuerJson(before), undefined);
  }

  async listAudiences(slug: string) {
    return (await this.repository.listAudiences((await this.managed.get(slug)).id)).map(idJagAudienceJson);
  }

  async createAudience(slug: string, input: CreateIdJagAudienceRequest, trail: AuditTrail) {
    const tenant = await this.managed.get(slug);
    trail.target = input.audience;
    const created = await this.repository.insertAudience(tenant.id, {
      audience: input.audience,
      resources: input.resources ?? [],
      allowedClientIds: input.allowedClientIds ?? [],
      scopes: input.scopes ?? [],
      enabled: input.enabled ?? true,
    });
    if (!created) throw new AdminError('conflict', `ID-JAGs for ${input.audience} are already configured`);
    trail.change(undefined, idJagAudienceJson(created));
    return idJagAudienceJson(created);
  }

  async updateAudience(slug: string, id: string, patch: UpdateIdJagAudienceRequest, trail: AuditTrail) {
    const tenant = await this.managed.get(slug);
    const before = await this.repository.findAudienceById(tenant.id, id);
    const updated = before && (await this.repository.updateAudience(tenant.id, id, patch));
    if (!before || !updated) throw notFound('ID-JAG audience');
    trail.target = updated.audience;
    trail.change(idJagAudienceJson(before), idJagAudienceJson(updated));
    return idJagAudienceJson(updated);
  }

  async deleteAudience(slug: string, id: string, trail: AuditTrail): Promise<void> {
    const tenant = await this.managed.get(slug);
    const before = await this.repository.findAudienceById(tenant.id, id);
    if (!before || !(await this.repository.deleteAudience(tenant.id, id))) throw notFound('ID-JAG audience');
    trail.target = before.audience;
    trail.change(idJagAudienceJson(before), undefined);
  }

  async listPreApprovals(slug: string) {
    return (await this.repository.listPreApprovals((await this.managed.get(slug)).id)).map(preApprovalJson);
  }

  async putPreApproval(slug: string, clientId: string, scopes: string[], createdBy: string, trail: AuditTrail) {
    const tenant = await this.managed.get(slug);
    const before = await this.repository.findPreApproval(tenant.id, clientId);
    const after = await this.repository.putPreApproval(tenant.id, clientId, scopes, createdBy);
    trail.change(before && preApprovalJson(before), preApprovalJson(after));
    return preApprovalJson(after);
  }

  async deletePreApproval(slug: string, clientId: string, trail: AuditTrail): Promise<void> {
    const tenant = await this.managed.get(slug);
    const before = await this.repository.findPreApproval(tenant.id, clientId);
    if (!before || !(await this.repository.deletePreApproval(tenant.id, clientId))) throw notFound('pre-approval');
    trail.change(preApprovalJson(before), undefined);
  }
}
