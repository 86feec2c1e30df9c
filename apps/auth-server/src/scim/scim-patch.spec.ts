import { describe, expect, it } from 'vitest';
import { scimPatchRequestSchema } from '@airlock/contracts';
import { applyScimPatch, type PatchRules } from './scim-patch.js';
import { ScimFailure } from './scim.errors.js';

const userRules: PatchRules = { attributes: ['userName', 'externalId', 'displayName', 'name', 'givenName', 'familyName', 'active', 'emails', 'value', 'type', 'primary'], readOnly: ['id', 'meta'] };
const groupRules: PatchRules = { attributes: ['displayName', 'externalId', 'members', 'value', 'display'], readOnly: ['id', 'meta'] };

const user = () => ({ id: 'u1', userName: 'alice@example.com', active: true, name: { givenName: 'Alice', familyName: 'Liddell' }, emails: [{ value: 'alice@example.com', type: 'work', primary: true }], meta: { resourceType: 'User' } });
const group = () => ({ id: 'g1', displayName: 'Finance', members: [{ value: 'u1' }, { value: 'u2' }] });

/** Parses a body as the controller does, then applies it. */
function patch(document: Record<string, unknown>, body: unknown, rules: PatchRules) {
  return applyScimPatch(document, scimPatchRequestSchema.parse(body).Operations, rules);
}
const op = (...Operations: unknown[]) => ({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations });

function refusal(run: () => unknown): ScimFailure {
  try {
    run();
  } catch (error) {
    if (error instanceof ScimFailure) return error;
    throw error;
  }
  throw new Error('no refusal');
}

describe('SCIM PATCH', () => {
  it('Entra ID: Replace active with the string "False", and emails[type eq "work"].value', () => {
    const result = patch(user(), op({ op: 'Replace', path: 'active', value: 'False' }, { op: 'Replace', path: 'emails[type eq "work"].value', value: 'new@example.com' }), userRules);
    expect(result['active']).toBe('False');
    expect(result['emails']).toEqual([{ value: 'new@example.com', type: 'work', primary: true }]);
  });

  it('Okta: replace without a path, several attributes at once, id ignored', () => {
    const result = patch(user(), op({ op: 'replace', value: { id: 'u1', active: false, 'name.givenName': 'Al', displayName: 'Al L' } }), userRules);
    expect(result).toMatchObject({ id: 'u1', active: false, displayName: 'Al L', name: { givenName: 'Al', familyName: 'Liddell' } });
  });

  it('leaves the input untouched and is case-insensitive about attribute names', () => {
    const before = user();
    const result = patch(before, op({ op: 'replace', path: 'USERNAME', value: 'b@example.com' }, { op: 'replace', path: 'Name.FamilyName', value: 'X' }), userRules);
    expect(result).toMatchObject({ userName: 'b@example.com', name: { familyName: 'X' } });
    expect(before.userName).toBe('alice@example.com');
  });

  it('replaces a complex attribute sub-attribute by sub-attribute, and removes one', () => {
    expect(patch(user(), op({ op: 'replace', path: 'name', value: { givenName: 'A' } }), userRules)['name']).toEqual({ givenName: 'A', familyName: 'Liddell' });
    expect(patch(user(), op({ op: 'remove', path: 'name.familyName' }), userRules)['name']).toEqual({ givenName: 'Alice' });
    expect(patch(user(), op({ op: 'remove', path: 'displayName' }, { op: 'add', path: 'externalId', value: 'e-1' }), userRules)).toMatchObject({ externalId: 'e-1' });
  });

  it('makes the element a filter describes when none matches (emails[type eq "home"])', () => {
    const result = patch(user(), op({ op: 'add', path: 'emails[type eq "home"].value', value: 'home@example.com' }), userRules);
    expect(result['emails']).toEqual([{ value: 'alice@example.com', type: 'work', primary: true }, { type: 'home', value: 'home@example.com' }]);
    expect(refusal(() => patch(user(), op({ op: 'replace', path: 'emails[type ne "work"].value', value: 'x' }), userRules)).scimType).toBe('noTarget');
  });

  it('group members: add (no duplicates), remove by filter (Okta), remove by value list (Entra ID), replace all', () => {
    expect(patch(group(), op({ op: 'add', path: 'members', value: [{ value: 'u2' }, { value: 'u3' }] }), groupRules)['members']).toEqual([{ value: 'u1' }, { value: 'u2' }, { value: 'u3' }]);
    expect(patch(group(), op({ op: 'remove', path: 'members[value eq "u1"]' }), groupRules)['members']).toEqual([{ value: 'u2' }]);
    expect(patch(group(), op({ op: 'Remove', path: 'members', value: [{ value: 'u2' }] }), groupRules)['members']).toEqual([{ value: 'u1' }]);
    expect(patch(group(), op({ op: 'remove', path: 'members[value eq "nobody"]' }), groupRules)['members']).toEqual([{ value: 'u1' }, { value: 'u2' }]);
    expect(patch(group(), op({ op: 'replace', path: 'members', value: [{ value: 'u9' }] }), groupRules)['members']).toEqual([{ value: 'u9' }]);
    expect(patch(group(), op({ op: 'remove', path: 'members' }), groupRules)['members']).toBeUndefined();
    expect(patch({ id: 'g', displayName: 'G' }, op({ op: 'add', path: 'members', value: { value: 'u1' } }), groupRules)['members']).toEqual([{ value: 'u1' }]);
  });

  it('Okta group rename: replace without a path carrying id and displayName', () => {
    expect(patch(group(), op({ op: 'replace', value: { id: 'g1', displayName: 'Finance EU' } }), groupRules)['displayName']).toBe('Finance EU');
  });

  it('refuses what cannot be applied, with the RFC 7644 scimType', () => {
    expect(refusal(() => patch(user(), op({ op: 'replace', path: 'id', value: 'x' }), userRules)).scimType).toBe('mutability');
    expect(refusal(() => patch(user(), op({ op: 'replace', path: 'meta.created', value: 'x' }), userRules)).scimType).toBe('mutability');
    expect(refusal(() => patch(user(), op({ op: 'remove' }), userRules)).scimType).toBe('noTarget');
    expect(refusal(() => patch(user(), op({ op: 'replace', value: 'x' }), userRules)).scimType).toBe('invalidValue');
    expect(refusal(() => patch(user(), op({ op: 'replace', path: 'emails[type eq', value: 'x' }), userRules)).scimType).toBe('invalidPath');
    expect(() => scimPatchRequestSchema.parse(op({ op: 'move', path: 'a' }))).toThrow();
    expect(() => scimPatchRequestSchema.parse({ schemas: ['other'], Operations: [{ op: 'add', path: 'a' }] })).toThrow();
  });
});
