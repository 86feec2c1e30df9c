import { Injectable } from '@nestjs/common';
import { ScimSchemas, scimGroupInputSchema, scimListQuerySchema, scimPatchRequestSchema, type ScimGroup } from '@airlock/contracts';
import type { ScimCaller } from './scim-auth.js';
import { ScimAudit } from './scim-audit.js';
import { parseScimFilter } from './scim-filter.js';
import { scimFilterToSql } from './scim-filter-sql.js';
import { groupFilterTable, ScimGroupsRepository, type ScimGroupRow } from './scim-groups.repository.js';
import { isUuid, parseScim, uniqueViolation } from './scim-input.js';
import { applyScimPatch } from './scim-patch.js';
import { GROUP_PATCH_RULES, groupFieldsOf, toScimGroup, wantsMembers } from './scim-resources.js';
import type { ScimList } from './scim-users.service.js';
import { ScimUsersService } from './scim-users.service.js';
import { ScimFailure, scimNotFound } from './scim.errors.js';

/** SCIM Groups of a tenant: names and members (users of the same tenant) that group-to-scope mappings read. */
@Injectable()
export class ScimGroupsService {
  constructor(
    private readonly groups: ScimGroupsRepository,
    private readonly users: ScimUsersService,
    private readonly audit: ScimAudit,
  ) {}

  async list(caller: ScimCaller, rawQuery: unknown): Promise<ScimList<ScimGroup>> {
    const query = parseScim(scimListQuerySchema, rawQuery);
    const startIndex = query.startIndex ?? 1;
    const where = query.filter === undefined ? undefined : scimFilterToSql(parseScimFilter(query.filter), groupFilterTable, 2);
    const { total, rows } = await this.groups.list(caller.tenant.id, where, startIndex - 1, query.count ?? 100);
    const members = wantsMembers(query) ? await this.groups.membersOf(rows.map((row) => row.id)) : undefined;
    const base = this.users.base(caller);
    const resources = rows.map((row) => toScimGroup(row, members ? (members.get(row.id) ?? []) : undefined, base));
    return { schemas: [ScimSchemas.listResponse], totalResults: total, startIndex, itemsPerPage: resources.length, Resources: resources };
  }

  async get(caller: ScimCaller, id: string, rawQuery: unknown): Promise<ScimGroup> {
    const query = parseScim(scimListQuerySchema, rawQuery);
    return this.render(caller, await this.existing(caller, id), wantsMembers(query));
  }

  async create(caller: ScimCaller, body: unknown): Promise<ScimGroup> {
    const input = parseScim(scimGroupInputSchema, body);
    const memberIds = await this.checkedMembers(caller, input.members ?? []);
    const row = await this.groups.create(caller.tenant.id, groupFieldsOf(input), memberIds).catch(uniqueViolation('Group'));
    await this.audit.record(caller, 'scim.group.create', row.id, { displayName: row.displayName, membersAdded: memberIds.length });
    return this.render(caller, row, true);
  }

  async replace(caller: ScimCaller, id: string, body: unknown): Promise<ScimGroup> {
    const before = await this.existing(caller, id);
    return this.store(caller, before, parseScim(scimGroupInputSchema, body), 'scim.group.replace');
  }

  async patch(caller: ScimCaller, id: string, body: unknown): Promise<ScimGroup> {
    const request = parseScim(scimPatchRequestSchema, body);
    const before = await this.existing(caller, id);
    const current = toScimGroup(before, (await this.groups.membersOf([id])).get(id) ?? [], this.users.base(caller));
    const patched = applyScimPatch(current, request.Operations, GROUP_PATCH_RULES);
    // `remove members` leaves no attribute: that is an empty member list, not "keep them".
    return this.store(caller, before, parseScim(scimGroupInputSchema, { ...patched, members: patched['members'] ?? [] }), 'scim.group.patch');
  }

  async delete(caller: ScimCaller, id: string): Promise<void> {
    await this.existing(caller, id);
    await this.groups.delete(caller.tenant.id, id);
    await this.audit.record(caller, 'scim.group.delete', id);
  }

  private async store(caller: ScimCaller, before: ScimGroupRow, input: ReturnType<typeof scimGroupInputSchema.parse>, action: string): Promise<ScimGroup> {
    const wanted = new Set(await this.checkedMembers(caller, input.members ?? []));
    const current = new Set(((await this.groups.membersOf([before.id])).get(before.id) ?? []).map((member) => member.userId));
    const add = [...wanted].filter((userId) => !current.has(userId));
    const remove = [...current].filter((userId) => !wanted.has(userId));
    const after = await this.groups.update(caller.tenant.id, before.id, groupFieldsOf(input), { add, remove }).catch(uniqueViolation('Group')).catch(memberGone);
    if (!after) throw scimNotFound('Group', before.id);
    await this.audit.record(caller, action, before.id, { displayName: after.displayName, membersAdded: add.length, membersRemoved: remove.length });
    return this.render(caller, after, true);
  }

  /** Member values must be ids of users of this tenant: anything else is 400 invalidValue, nothing written. */
  private async checkedMembers(caller: ScimCaller, members: ReadonlyArray<{ value: string }>): Promise<string[]> {
    const ids = [...new Set(members.map((member) => member.value.toLowerCase()))];
    const notId = ids.find((id) => !isUuid(id));
    if (notId !== undefined) throw new ScimFailure(400, 'invalidValue', `member ${notId} is not a User id`);
    const check = await this.groups.checkMembers(caller.tenant.id, ids);
    if ('unknown' in check) throw new ScimFailure(400, 'invalidValue', `member ${check.unknown} is not a User of this tenant`);
    return ids;
  }

  private async render(caller: ScimCaller, row: ScimGroupRow, withMembers: boolean): Promise<ScimGroup> {
    const members = withMembers ? ((await this.groups.membersOf([row.id])).get(row.id) ?? []) : undefined;
    return toScimGroup(row, members, this.users.base(caller));
  }

  private async existing(caller: ScimCaller, id: string): Promise<ScimGroupRow> {
    const row = isUuid(id) ? await this.groups.find(caller.tenant.id, id) : undefined;
    if (!row) throw scimNotFound('Group', id);
    return row;
  }
}

/** A member deleted between the check and the write (foreign key): the same refusal as an unknown member. */
function memberGone(error: unknown): never {
  if (typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23503') throw new ScimFailure(400, 'invalidValue', 'a member is not a User of this tenant');
  throw error;
}
