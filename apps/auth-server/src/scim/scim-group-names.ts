import { Injectable } from '@nestjs/common';
import { ScimGroupsRepository } from './scim-groups.repository.js';

/**
 * The names of the SCIM groups a user is in, as the tenant's provisioning client keeps them: what
 * group-to-scope mappings read at sign-in (ScimModule exports it).
 */
@Injectable()
export class ScimGroupNames {
  constructor(private readonly groups: ScimGroupsRepository) {}

  of(tenantId: string, userId: string): Promise<string[]> {
    return this.groups.namesOf(tenantId, userId);
  }
}
