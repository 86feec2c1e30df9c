import { describe, expect, it } from 'vitest';
import { NO_GROUP_ACCESS, withheldByGroups, withinGroupScopes, type GroupAccess } from './group-scopes.js';

const access = (governed: string[], allowed: string[]): GroupAccess => ({ groups: [], governedScopes: new Set(governed), allowedScopes: new Set(allowed) });

describe('group scopes', () => {
  it('keeps ungoverned scopes and the governed ones a current group allows, in order', () => {
    const a = access(['finance:read', 'finance:write'], ['finance:read']);
    expect(withinGroupScopes(['mcp', 'finance:write', 'finance:read', 'docs:read'], a)).toEqual(['mcp', 'finance:read', 'docs:read']);
    expect(withheldByGroups(['mcp', 'finance:write', 'finance:read'], a)).toEqual(['finance:write']);
  });

  it('withholds every governed scope from a user in no mapped group', () => {
    expect(withinGroupScopes(['mcp', 'finance:read'], access(['finance:read'], []))).toEqual(['mcp']);
  });

  it('changes nothing for a tenant without mappings', () => {
    expect(withinGroupScopes(['mcp', 'finance:read'], NO_GROUP_ACCESS)).toEqual(['mcp', 'finance:read']);
    expect(withheldByGroups(['mcp', 'finance:read'], NO_GROUP_ACCESS)).toEqual([]);
  });
});
