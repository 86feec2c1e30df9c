import { Injectable } from '@nestjs/common';
import type { TenantRecord } from '../tenants/tenant-record.js';
import { IdJagRepository } from './id-jag.repository.js';

/**
 * Whether an admin pre-approved a client for everything a consent prompt asks: then its users see no
 * consent screen (the interaction still records the grant and the audit log says what it unlocked).
 */
@Injectable()
export class PreApprovalPolicy {
  constructor(private readonly repository: IdJagRepository) {}

  async covers(tenant: TenantRecord, clientId: string, scopes: string[]): Promise<boolean> {
    const approval = await this.repository.findPreApproval(tenant.id, clientId);
    if (!approval) return false;
    const approved = new Set(approval.scopes);
    return scopes.every((scope) => approved.has(scope));
  }
}
