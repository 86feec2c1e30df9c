import { describe, expect, it } from 'vitest';
import { oidcProviderConfigSchema, type OidcProviderConfig } from '@airlock/contracts';
import { authorizationParams, mapClaims, oktaServer, presetConfigProblem, requestScopes } from './oidc-presets.js';

// The presets against the providers' documented behaviour (claims as their docs show them).

const DIRECTORY = '9188040d-6c67-4c5b-b112-36a304b66dad';
const config = (input: Partial<OidcProviderConfig> & { issuer: string }): OidcProviderConfig => oidcProviderConfigSchema.parse({ clientId: 'airlock', ...input });

describe('entra', () => {
  const entra = config({ issuer: `https://login.microsoftonline.com/${DIRECTORY}/v2.0` });
  const claims = { iss: entra.issuer, tid: DIRECTORY, sub: 'pairwise-per-app', oid: '00000000-0000-0000-66f3-3332eca7ea81', email: 'ada@corp.example', name: 'Ada', groups: ['g1', 'g2'] };

  it('needs the v2.0 issuer of one directory (common and organizations cannot be validated)', () => {
    expect(presetConfigProblem('entra', entra)).toBeUndefined();
    for (const issuer of ['https://login.microsoftonline.com/common/v2.0', 'https://login.microsoftonline.com/organizations/v2.0', `https://login.microsoftonline.com/${DIRECTORY}/`, `https://sts.windows.net/${DIRECTORY}/`]) {
      expect(presetConfigProblem('entra', config({ issuer }))).toMatch(/entra/);
    }
  });

  it('takes the subject from oid (sub is pairwise per application) and never sends resource', () => {
    const verdict = mapClaims('entra', entra, claims);
    expect(verdict).toMatchObject({ ok: true, identity: { subject: claims.oid, groups: ['g1', 'g2'], groupOverage: false } });
    expect(authorizationParams('entra', entra)).toEqual({});
  });

  it('treats email as unverified unless xms_edov says the domain owner verified it', () => {
    expect(mapClaims('entra', entra, claims)).toMatchObject({ identity: { emailVerified: false } });
    expect(mapClaims('entra', entra, { ...claims, xms_edov: true })).toMatchObject({ identity: { emailVerified: true } });
    expect(mapClaims('entra', entra, { ...claims, email_verified: true })).toMatchObject({ identity: { emailVerified: false } });
  });

  it('refuses a token of another directory', () => {
    expect(mapClaims('entra', entra, { ...claims, tid: '11111111-2222-3333-4444-555555555555' })).toMatchObject({ ok: false });
  });

  it('signs in without groups on group overage (_claim_names or hasgroups), or refuses when configured to', () => {
    const overage = { ...claims, groups: undefined, _claim_names: { groups: 'src1' }, _claim_sources: { src1: { endpoint: 'https://graph.microsoft.com/v1.0/users/x/getMemberObjects' } } };
    expect(mapClaims('entra', entra, overage)).toMatchObject({ ok: true, identity: { groups: [], groupOverage: true } });
    expect(mapClaims('entra', entra, { ...claims, hasgroups: true })).toMatchObject({ ok: true, identity: { groups: [], groupOverage: true } });
    expect(mapClaims('entra', { ...entra, groupOverage: 'fail' }, overage)).toMatchObject({ ok: false, reason: expect.stringMatching(/overage/) });
  });
});

describe('okta', () => {
  it('tells the org authorization server from a custom one by the issuer', () => {
    expect(oktaServer('https://corp.okta.com')).toBe('org');
    expect(oktaServer('https://corp.okta.com/oauth2/default')).toBe('custom');
    expect(oktaServer('https://corp.okta.com/oauth2/aus1a2b3c4D5e6F7g8h9')).toBe('custom');
    expect(oktaServer('https://corp.okta.com/oauth2/v1')).toBeUndefined();
    expect(oktaServer('http://corp.okta.com')).toBeUndefined();
    expect(presetConfigProblem('okta', config({ issuer: 'https://corp.okta.com/oauth2/v1' }))).toMatch(/okta/);
  });

  it('asks the org server for the groups scope, and a custom server not (it has no such scope)', () => {
    expect(requestScopes('okta', config({ issuer: 'https://corp.okta.com' }))).toContain('groups');
    expect(requestScopes('okta', config({ issuer: 'https://corp.okta.com/oauth2/default' }))).not.toContain('groups');
  });

  it('reads sub, email_verified and groups', () => {
    const verdict = mapClaims('okta', config({ issuer: 'https://corp.okta.com' }), { sub: '00u1', email: 'a@corp.example', email_verified: true, groups: ['Everyone', 'mcp-finance'] });
    expect(verdict).toMatchObject({ ok: true, identity: { subject: '00u1', emailVerified: true, groups: ['Everyone', 'mcp-finance'] } });
  });
});

describe('google', () => {
  const google = config({ issuer: 'https://accounts.google.com', hostedDomains: ['corp.example'] });

  it('needs Google’s issuer and at least one hosted domain', () => {
    expect(presetConfigProblem('google', google)).toBeUndefined();
    expect(presetConfigProblem('google', config({ issuer: 'https://accounts.google.com' }))).toMatch(/hostedDomains/);
    expect(presetConfigProblem('google', config({ issuer: 'https://google.com', hostedDomains: ['corp.example'] }))).toMatch(/issuer/);
  });

  it('checks the hd claim itself (the hd parameter is only a hint) and refuses consumer accounts', () => {
    expect(authorizationParams('google', google)).toEqual({ hd: 'corp.example' });
    const claims = { sub: '1070', email: 'a@corp.example', email_verified: true, hd: 'corp.example' };
    expect(mapClaims('google', google, claims)).toMatchObject({ ok: true, identity: { subject: '1070', emailVerified: true, groups: [] } });
    expect(mapClaims('google', google, { ...claims, hd: 'other.example' })).toMatchObject({ ok: false });
    expect(mapClaims('google', google, { ...claims, hd: undefined, email: 'a@gmail.com' })).toMatchObject({ ok: false });
  });

  it('has no groups, whatever the token says', () => {
    expect(mapClaims('google', google, { sub: '1', hd: 'corp.example', groups: ['x'] })).toMatchObject({ identity: { groups: [] } });
    expect(requestScopes('google', { ...google, scopes: ['openid', 'groups'] })).not.toContain('groups');
  });
});

describe('generic and claim mapping', () => {
  it('follows the admin’s claim names, takes one string as one group, and needs a subject', () => {
    const generic = config({ issuer: 'https://idp.example', claims: { subject: 'employee_id', groups: 'roles', email: 'mail' } });
    expect(mapClaims('generic', generic, { sub: 'x', employee_id: 'E42', roles: 'mcp-finance', mail: 'a@b.example', email_verified: true })).toMatchObject({
      ok: true,
      identity: { subject: 'E42', groups: ['mcp-finance'], email: 'a@b.example', emailVerified: true },
    });
    expect(mapClaims('generic', generic, { sub: 'x' })).toMatchObject({ ok: false, reason: expect.stringMatching(/employee_id/) });
    expect(requestScopes('generic', generic)[0]).toBe('openid');
  });
});
