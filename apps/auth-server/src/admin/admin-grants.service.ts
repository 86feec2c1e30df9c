import { Injectable } from '@nestjs/common';
import { type GrantRevocationReason, GrantRevoker } from '../oidc/grant-revoker.js';
import type { TenantRecord } from '../tenants/tenant-record.js';
import type { AuditTrail } from './admin-audit-trail.js';
import { notFound } from './admin.errors.js';
import type { Page } from './admin-paging.js';
import { AdminGrantsRepository, type GrantOwner, type GrantView } from './admin-grants.repository.js';

/** Grants of a user or a client: listing them, and revoking one or all (with every token issued from them). */
@Injectable()
export class AdminGrantsService {
  constructor(
    private readonly repository: AdminGrantsRepository,
    private readonly revoker: GrantRevoker,
  ) {}

  list(tenant: TenantRecord, owner: GrantOwner, limit: number, cursor: string | undefined): Promise<Page<GrantView>> {
    return this.repository.list(tenant.id, owner, limit, cursor);
  }

  /** Revokes one grant of this owner; another owner's grant is not found. */
  async revokeOne(tenant: TenantRecord, owner: GrantOwner, grantId: string, trail: AuditTrail): Promise<void> {
    const grant = await this.repository.find(tenant.id, grantId);
    if (!grant || ('userId' in owner ? grant.userId !== owner.userId : grant.clientId !== owner.clientId)) throw notFound('grant');
    await this.revoker.revoke(tenant, grantId, 'admin_revoked');
    trail.change(grant, undefined);
  }

  /** Revokes every grant of a user or client; returns how many. */
  async revokeAll(tenant: TenantRecord, owner: GrantOwner, reason: GrantRevocationReason): Promise<number> {
    const ids = await this.repository.idsOf(tenant.id, owner);
    for (const grantId of ids) await this.revoker.revoke(tenant, grantId, reason);
    return ids.length;
  }
}
