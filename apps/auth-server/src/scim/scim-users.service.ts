import { Inject, Injectable } from '@nestjs/common';
import { SCIM_PATH_PREFIX, ScimSchemas, scimListQuerySchema, scimPatchRequestSchema, scimUserInputSchema, type ScimUser } from '@airlock/contracts';
import type { AuthServerConfig } from '@airlock/config';
import { AUTH_CONFIG } from '../infra/infra.tokens.js';
import { UserSignOut } from '../sign-out/user-sign-out.service.js';
import type { ScimCaller } from './scim-auth.js';
import { ScimAudit } from './scim-audit.js';
import { parseScimFilter } from './scim-filter.js';
import { scimFilterToSql } from './scim-filter-sql.js';
import { applyScimPatch } from './scim-patch.js';
import { toScimUser, USER_PATCH_RULES, userFieldsOf } from './scim-resources.js';
import { ScimUsersRepository, userFilterTable, type ScimUserFields, type ScimUserRow } from './scim-users.repository.js';
import { scimNotFound } from './scim.errors.js';
import { isUuid, parseScim, uniqueViolation } from './scim-input.js';

export interface ScimList<T> {
  schemas: [typeof ScimSchemas.listResponse];
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
  Resources: T[];
}

/**
 * SCIM Users of a tenant. Deprovisioning (active turned false, or DELETE) signs the user out everywhere
 * before answering: grants and their tokens revoked (the gateway refuses them at once), browser sign-ins
 * destroyed, and the session store asked to end every MCP and login session now (queued and retried when
 * it does not answer, so the SCIM client is never failed for it).
 */
@Injectable()
export class ScimUsersService {
  constructor(
    private readonly users: ScimUsersRepository,
    private readonly signOut: UserSignOut,
    private readonly audit: ScimAudit,
    @Inject(AUTH_CONFIG) private readonly config: AuthServerConfig,
  ) {}

  base(caller: ScimCaller): string {
    return `${this.config.publicUrl}${SCIM_PATH_PREFIX}/${caller.tenant.slug}`;
  }

  async list(caller: ScimCaller, rawQuery: unknown): Promise<ScimList<ScimUser>> {
    const query = parseScim(scimListQuerySchema, rawQuery);
    const startIndex = query.startIndex ?? 1;
    const where = query.filter === undefined ? undefined : scimFilterToSql(parseScimFilter(query.filter), userFilterTable, 2);
    const { total, rows } = await this.users.list(caller.tenant.id, where, startIndex - 1, query.count ?? 100);
    const groups = await this.users.groupsOf(caller.tenant.id, rows.map((row) => row.id));
    const base = this.base(caller);
    const resources = rows.map((row) => toScimUser(row, groups.get(row.id) ?? [], base));
    return { schemas: [ScimSchemas.listResponse], totalResults: total, startIndex, itemsPerPage: resources.length, Resources: resources };
  }

  async get(caller: ScimCaller, id: string): Promise<ScimUser> {
    return this.render(caller, await this.existing(caller, id));
  }

  async create(caller: ScimCaller, body: unknown): Promise<ScimUser> {
    const fields = userFieldsOf(parseScim(scimUserInputSchema, body));
    const row = await this.users.create(caller.tenant.id, fields).catch(uniqueViolation('User'));
    await this.audit.record(caller, 'scim.user.create', row.id, { active: fields.active });
    return this.render(caller, row);
  }

  async replace(caller: ScimCaller, id: string, body: unknown): Promise<ScimUser> {
    const before = await this.existing(caller, id);
    return this.store(caller, before, userFieldsOf(parseScim(scimUserInputSchema, body)), 'scim.user.replace');
  }

  async patch(caller: ScimCaller, id: string, body: unknown): Promise<ScimUser> {
    const request = parseScim(scimPatchRequestSchema, body);
    const before = await this.existing(caller, id);
    const patched = applyScimPatch(toScimUser(before, undefined, this.base(caller)), request.Operations, USER_PATCH_RULES);
    return this.store(caller, before, userFieldsOf(parseScim(scimUserInputSchema, patched)), 'scim.user.patch');
  }

  async delete(caller: ScimCaller, id: string): Promise<void> {
    await this.existing(caller, id);
    const signedOut = await this.signOut.everywhere(caller.tenant, id, 'user_deleted', { now: true });
    await this.users.delete(caller.tenant.id, id);
    await this.audit.record(caller, 'scim.user.delete', id, { signedOut });
  }

  private async store(caller: ScimCaller, before: ScimUserRow, fields: ScimUserFields, action: string): Promise<ScimUser> {
    const after = await this.users.update(caller.tenant.id, before.id, fields).catch(uniqueViolation('User'));
    if (!after) throw scimNotFound('User', before.id);
    const deprovisioned = before.disabledAt === null && after.disabledAt !== null;
    const details: Record<string, unknown> = { active: fields.active };
    if (deprovisioned) details['signedOut'] = await this.signOut.everywhere(caller.tenant, before.id, 'admin_revoked', { now: true });
    await this.audit.record(caller, deprovisioned ? 'scim.user.deprovision' : action, before.id, details);
    return this.render(caller, after);
  }

  private async render(caller: ScimCaller, row: ScimUserRow): Promise<ScimUser> {
    const groups = await this.users.groupsOf(caller.tenant.id, [row.id]);
    return toScimUser(row, groups.get(row.id) ?? [], this.base(caller));
  }

  private async existing(caller: ScimCaller, id: string): Promise<ScimUserRow> {
    const row = isUuid(id) ? await this.users.find(caller.tenant.id, id) : undefined;
    if (!row) throw scimNotFound('User', id);
    return row;
  }
}
