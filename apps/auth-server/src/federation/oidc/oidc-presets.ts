import type { OidcPreset, OidcProviderConfig } from '@airlock/contracts';

// Documented behaviour of well-known OpenID providers, as configuration rather than code paths:
// - Entra ID (Microsoft identity platform v2): the issuer is tenant-specific
//   (`https://login.microsoftonline.com/<tenant id>/v2.0`); `sub` is pairwise per application while `oid`
//   is the user's stable id in the tenant; the `groups` claim is replaced by `_claim_names`/`_claim_sources`
//   (or `hasgroups`) when the user is in too many groups ("group overage"); `email` is not verified unless
//   the optional `xms_edov` claim says the domain owner verified it; Entra has no dynamic client
//   registration and rejects the `resource` parameter on v2 endpoints (the broker never sends it).
// - Okta: the org authorization server's issuer is the bare org URL and it returns `groups` for the
//   `groups` scope; a custom authorization server's issuer is `<org>/oauth2/<server id>`, it knows no
//   `groups` scope and returns groups only through a claim the admin configured there.
// - Google: issuer `https://accounts.google.com`; no groups claim; Workspace accounts carry `hd`, and the
//   `hd` request parameter is only a hint, so the claim itself must be checked.

export interface MappedIdentity {
  subject: string;
  email: string | undefined;
  emailVerified: boolean;
  displayName: string | undefined;
  groups: string[];
  /** The provider said there were more groups than it put in the token. */
  groupOverage: boolean;
}

export type ClaimsVerdict = { ok: true; identity: MappedIdentity } | { ok: false; reason: string };

const ENTRA_ISSUER = /^https:\/\/login\.microsoftonline\.com\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/v2\.0$/;
const GOOGLE_ISSUER = 'https://accounts.google.com';
const MAX_GROUPS = 1000;

/** Why this config cannot work with its preset (checked when it is saved), or undefined. */
export function presetConfigProblem(preset: OidcPreset, config: OidcProviderConfig): string | undefined {
  switch (preset) {
    case 'entra':
      return ENTRA_ISSUER.test(config.issuer)
        ? undefined
        : 'entra: issuer must be the v2.0 issuer of one directory, https://login.microsoftonline.com/<tenant id>/v2.0 (common and organizations cannot be validated)';
    case 'okta':
      return oktaServer(config.issuer) ? undefined : 'okta: issuer must be https://<org>.okta.com (org authorization server) or https://<org>.okta.com/oauth2/<server id> (custom)';
    case 'google':
      if (config.issuer !== GOOGLE_ISSUER) return `google: issuer must be ${GOOGLE_ISSUER}`;
      return config.hostedDomains.length > 0 ? undefined : 'google: hostedDomains must name the Workspace domains allowed to sign in';
    case 'generic':
      return undefined;
  }
}

/** `org` for an Okta org authorization server, `custom` for `/oauth2/<id>`, undefined for neither shape. */
export function oktaServer(issuer: string): 'org' | 'custom' | undefined {
  const url = URL.parse(issuer);
  if (!url || url.protocol !== 'https:' || url.search || url.hash) return undefined;
  if (url.pathname === '/' || url.pathname === '') return 'org';
  return /^\/oauth2\/(?!v1$)[A-Za-z0-9]+$/.test(url.pathname) ? 'custom' : undefined;
}

/** The scopes to request: the configured ones, `openid` first; Okta's org server also gets `groups`. */
export function requestScopes(preset: OidcPreset, config: OidcProviderConfig): string[] {
  const scopes = new Set(['openid', ...config.scopes]);
  if (preset === 'okta' && oktaServer(config.issuer) === 'org') scopes.add('groups');
  if (preset === 'google') scopes.delete('groups');
  return [...scopes];
}

/** Extra authorization request parameters (never `resource`: Entra's v2 endpoints reject it). */
export function authorizationParams(preset: OidcPreset, config: OidcProviderConfig): Record<string, string> {
  if (preset === 'google' && config.hostedDomains.length === 1) return { hd: config.hostedDomains[0]! };
  return {};
}

function stringClaim(claims: Record<string, unknown>, name: string): string | undefined {
  const value = claims[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function groupList(value: unknown): string[] {
  const list = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
  return [...new Set(list.filter((g): g is string => typeof g === 'string' && g.length > 0 && g.length <= 256))].slice(0, MAX_GROUPS);
}

function entraOverage(claims: Record<string, unknown>, groupsClaim: string): boolean {
  const names = claims['_claim_names'];
  const overflowed = typeof names === 'object' && names !== null && groupsClaim in names;
  return overflowed || claims['hasgroups'] === true || claims['hasgroups'] === 'true';
}

/**
 * Reads a verified ID token's claims through the preset and the admin's claim mapping, and applies the
 * preset's own checks (Entra directory, Google hosted domain, Entra group overage policy).
 */
export function mapClaims(preset: OidcPreset, config: OidcProviderConfig, claims: Record<string, unknown>): ClaimsVerdict {
  const subjectClaim = config.claims.subject ?? (preset === 'entra' ? 'oid' : 'sub');
  const groupsClaim = config.claims.groups ?? 'groups';
  const subject = stringClaim(claims, subjectClaim);
  if (!subject) return { ok: false, reason: `the ID token has no ${subjectClaim} claim` };

  if (preset === 'entra') {
    const directory = ENTRA_ISSUER.exec(config.issuer)?.[1];
    if (!directory || claims['tid'] !== directory) return { ok: false, reason: 'the ID token is from another Entra directory (tid)' };
  }
  if (preset === 'google') {
    const hd = stringClaim(claims, 'hd')?.toLowerCase();
    if (!hd || !config.hostedDomains.includes(hd)) return { ok: false, reason: 'the Google account is not in an allowed hosted domain (hd)' };
  }

  const email = stringClaim(claims, config.claims.email ?? 'email');
  // Entra's `email` is whatever the directory holds; only `xms_edov` says the domain owner verified it.
  const emailVerified = email !== undefined && (preset === 'entra' ? claims['xms_edov'] === true || claims['xms_edov'] === 'true' : claims['email_verified'] === true);
  const groupOverage = preset === 'entra' && entraOverage(claims, groupsClaim);
  if (groupOverage && config.groupOverage === 'fail') return { ok: false, reason: 'the user is in more groups than Entra puts in a token (group overage)' };
  const groups = preset === 'google' || groupOverage ? [] : groupList(claims[groupsClaim]);
  return {
    ok: true,
    identity: { subject, email, emailVerified, displayName: stringClaim(claims, config.claims.name ?? 'name'), groups, groupOverage },
  };
}
