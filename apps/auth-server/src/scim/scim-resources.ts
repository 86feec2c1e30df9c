import { ScimSchemas, type ScimGroup, type ScimGroupInput, type ScimUser, type ScimUserInput } from '@airlock/contracts';
import type { PatchRules } from './scim-patch.js';
import type { ScimGroupRow, ScimMemberRow } from './scim-groups.repository.js';
import type { ScimUserFields, ScimUserRow } from './scim-users.repository.js';

// How rows become SCIM resources and SCIM input becomes rows. A user here has one address: `userName`
// is their email (stored lower-cased, so uniqueness is case-insensitive as RFC 7643 says for userName),
// rendered as the one work, primary entry of `emails`. Names are kept as one display name.

export const USER_PATCH_RULES: PatchRules = {
  attributes: ['userName', 'externalId', 'displayName', 'name', 'formatted', 'givenName', 'familyName', 'active', 'emails', 'value', 'type', 'primary', 'display'],
  readOnly: ['id', 'meta', 'groups'],
};

export const GROUP_PATCH_RULES: PatchRules = {
  attributes: ['displayName', 'externalId', 'members', 'value', 'display'],
  readOnly: ['id', 'meta'],
};

export function toScimUser(row: ScimUserRow, groups: ReadonlyArray<{ id: string; displayName: string }> | undefined, base: string): ScimUser {
  return {
    schemas: [ScimSchemas.user],
    id: row.id,
    ...(row.externalId !== null ? { externalId: row.externalId } : {}),
    userName: row.email,
    ...(row.displayName !== null ? { displayName: row.displayName, name: { formatted: row.displayName } } : {}),
    active: row.disabledAt === null,
    emails: [{ value: row.email, type: 'work', primary: true }],
    ...(groups ? { groups: groups.map((group) => ({ value: group.id, display: group.displayName, $ref: `${base}/Groups/${group.id}` })) } : {}),
    meta: { resourceType: 'User', created: row.createdAt.toISOString(), lastModified: row.updatedAt.toISOString(), location: `${base}/Users/${row.id}` },
  };
}

export function toScimGroup(row: ScimGroupRow, members: readonly ScimMemberRow[] | undefined, base: string): ScimGroup {
  return {
    schemas: [ScimSchemas.group],
    id: row.id,
    ...(row.externalId !== null ? { externalId: row.externalId } : {}),
    displayName: row.displayName,
    ...(members ? { members: members.map((member) => ({ value: member.userId, display: member.display, $ref: `${base}/Users/${member.userId}` })) } : {}),
    meta: { resourceType: 'Group', created: row.createdAt.toISOString(), lastModified: row.updatedAt.toISOString(), location: `${base}/Groups/${row.id}` },
  };
}

/** The columns a User body sets; a missing `active` is true (RFC 7643: provisioned users are active unless told). */
export function userFieldsOf(input: ScimUserInput): ScimUserFields {
  const name = input.name;
  const composed = [name?.givenName, name?.familyName].filter((part) => part !== undefined && part.trim() !== '').join(' ');
  return {
    email: input.userName.trim().toLowerCase(),
    displayName: input.displayName ?? name?.formatted ?? (composed === '' ? null : composed),
    externalId: input.externalId ?? null,
    active: input.active ?? true,
  };
}

export function groupFieldsOf(input: ScimGroupInput): { displayName: string; externalId: string | null } {
  return { displayName: input.displayName, externalId: input.externalId ?? null };
}

/** `attributes=` / `excludedAttributes=` asking to leave out `members` (Entra ID lists groups that way). */
export function wantsMembers(query: { attributes?: string | undefined; excludedAttributes?: string | undefined }): boolean {
  const names = (list: string | undefined) => (list ?? '').split(',').map((name) => name.trim().toLowerCase());
  if (names(query.excludedAttributes).includes('members')) return false;
  if (query.attributes !== undefined) return names(query.attributes).includes('members');
  return true;
}
