import { z } from 'zod';
import { samlProviderConfigSchema, type SamlProviderConfig } from './saml-provider.js';
import { scimLinkRuleSchema } from './scim.js';

// Enterprise identity providers of a tenant (issue 16): what the admin API, the CLI and the console send
// and receive. OpenID Connect providers here; a SAML provider's config lives beside it (kind `saml`).
// Secrets go in, never out: a response says only whether a client secret is set.

/** The `<slug>` in `/t/<tenant>/federation/<slug>/...`, unique in its tenant. */
export const identityProviderSlugSchema = z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/, { error: 'must be 1-64 lowercase letters, digits or dashes' });

/** An email domain for home-realm discovery (`corp.example`), lowercase. */
export const emailDomainSchema = z
  .string()
  .max(253)
  .transform((value) => value.trim().toLowerCase())
  .pipe(z.string().regex(/^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, { error: 'must be a domain name such as corp.example' }));

/**
 * Documented behaviour of well-known providers (see `federation/oidc/oidc-presets.ts`): `entra` (Microsoft
 * Entra ID v2 endpoints, tenant-specific issuer, subject from `oid`, group overage), `okta` (org or custom
 * authorization server), `google` (no groups, hosted-domain check), `generic` (plain OpenID Connect).
 */
export const oidcPresetSchema = z.enum(['generic', 'entra', 'okta', 'google']);
export type OidcPreset = z.infer<typeof oidcPresetSchema>;

const claimName = z.string().regex(/^[A-Za-z0-9_:./-]{1,100}$/, { error: 'must be a claim name' });
const oauthScope = z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]{1,200}$/, { error: 'must be an OAuth scope token' });

/** Which ID-token claims carry what; unset ones follow the preset (sub, email, name, groups). */
export const oidcClaimMappingSchema = z
  .object({ subject: claimName.optional(), email: claimName.optional(), name: claimName.optional(), groups: claimName.optional() })
  .strict();

/** The non-secret part of an OpenID Connect provider. */
export const oidcProviderConfigSchema = z
  .object({
    /** The provider's issuer identifier; discovery is `<issuer>/.well-known/openid-configuration`. */
    issuer: z.url({ protocol: /^https?$/ }).max(2000),
    clientId: z.string().min(1).max(500),
    /** Requested scopes; `openid` is always sent. */
    scopes: z.array(oauthScope).max(20).default(['openid', 'email', 'profile']),
    claims: oidcClaimMappingSchema.default({}),
    /** Entra ID: when the groups claim overflowed (`_claim_names`), sign in without groups (`ignore`, audited) or refuse. */
    groupOverage: z.enum(['ignore', 'fail']).default('ignore'),
    /** Google: the Workspace domains (`hd` claim) allowed to sign in; required by the google preset. */
    hostedDomains: z.array(emailDomainSchema).max(50).default([]),
    /** This provider mirrors the tenant's SCIM client: link first sign-ins to SCIM-created users (scimLinkRuleSchema). */
    linkScimUsersBy: scimLinkRuleSchema.optional(),
  })
  .strict();
export type OidcProviderConfig = z.infer<typeof oidcProviderConfigSchema>;

/** Sealed with the master key into `identity_providers.secrets_encrypted`. */
export const oidcProviderSecretsSchema = z.object({ clientSecret: z.string().min(1).max(2000) }).strict();
export type OidcProviderSecrets = z.infer<typeof oidcProviderSecretsSchema>;

/** The sealing context: a sealed secret copied to another provider row does not open. */
export function identityProviderSecretContext(tenantId: string, providerId: string): string {
  return `identity-provider:${tenantId}:${providerId}`;
}

const providerFields = {
  displayName: z.string().trim().min(1).max(200),
  preset: oidcPresetSchema,
  /** Home-realm discovery: an email of one of these domains is sent to this provider from the login page. */
  emailDomains: z.array(emailDomainSchema).max(100),
  enabled: z.boolean(),
};

export const identityProviderKindSchema = z.enum(['oidc', 'saml']);
export type IdentityProviderKind = z.infer<typeof identityProviderKindSchema>;

/** A provider's `config` as sent: an object the provider's kind's schema judges (oidcProviderConfigSchema or samlProviderConfigSchema). */
const providerConfigInput = z
  .record(z.string(), z.unknown())
  .meta({ description: 'oidc: {issuer, clientId, scopes?, claims?, groupOverage?, hostedDomains?, linkScimUsersBy?}; saml: {idpEntityId, ssoUrl, signingCertificates, nameIdFormat?, subjectAttribute?, attributes?, emailVerified?, clockSkewSeconds?, allowIdpInitiated?, idpInitiatedRedirect?, linkScimUsersBy?}' });

/** The config schema of a kind of provider. */
export function identityProviderConfigSchema(kind: IdentityProviderKind): z.ZodType<OidcProviderConfig | SamlProviderConfig> {
  return kind === 'saml' ? samlProviderConfigSchema : oidcProviderConfigSchema;
}

/** Parses a provider's config by its kind; the issues carry paths below `config`. */
export function parseIdentityProviderConfig(
  kind: IdentityProviderKind,
  config: unknown,
): { success: true; data: OidcProviderConfig | SamlProviderConfig } | { success: false; issues: Array<{ path: PropertyKey[]; message: string }> } {
  const parsed = identityProviderConfigSchema(kind).safeParse(config);
  if (parsed.success) return { success: true, data: parsed.data };
  return { success: false, issues: parsed.error.issues.map((issue) => ({ path: ['config', ...issue.path], message: issue.message })) };
}

/**
 * A new provider of either kind. OpenID Connect: `config` is an oidcProviderConfig and `clientSecret` is
 * required (sealed, never returned). SAML: `config` is a samlProviderConfig, no secret, preset `generic`.
 */
export const createIdentityProviderRequestSchema = z
  .object({
    slug: identityProviderSlugSchema,
    kind: identityProviderKindSchema,
    displayName: providerFields.displayName,
    preset: providerFields.preset.default('generic'),
    emailDomains: providerFields.emailDomains.default([]),
    enabled: providerFields.enabled.default(true),
    config: providerConfigInput,
    clientSecret: oidcProviderSecretsSchema.shape.clientSecret.optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    const config = parseIdentityProviderConfig(body.kind, body.config);
    if (!config.success) for (const issue of config.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
    if (body.kind === 'oidc' && body.clientSecret === undefined) ctx.addIssue({ code: 'custom', message: 'an OpenID Connect provider needs its clientSecret', path: ['clientSecret'] });
    if (body.kind === 'saml' && body.clientSecret !== undefined) ctx.addIssue({ code: 'custom', message: 'a SAML provider has no client secret', path: ['clientSecret'] });
    if (body.kind === 'saml' && body.preset !== 'generic') ctx.addIssue({ code: 'custom', message: 'presets are for OpenID Connect providers (SAML: generic)', path: ['preset'] });
  });
export type CreateIdentityProviderRequest = z.infer<typeof createIdentityProviderRequestSchema>;

/**
 * Partial update; `config` replaces the whole config when given (judged by the provider's kind);
 * `clientSecret` replaces the sealed secret (OpenID Connect only).
 */
export const updateIdentityProviderRequestSchema = z
  .object({
    displayName: providerFields.displayName.optional(),
    preset: providerFields.preset.optional(),
    emailDomains: providerFields.emailDomains.optional(),
    enabled: providerFields.enabled.optional(),
    config: providerConfigInput.optional(),
    clientSecret: oidcProviderSecretsSchema.shape.clientSecret.optional(),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, { error: 'nothing to change' });
export type UpdateIdentityProviderRequest = z.infer<typeof updateIdentityProviderRequestSchema>;

export const identityProviderSchema = z.object({
  id: z.string(),
  slug: z.string(),
  kind: identityProviderKindSchema,
  displayName: z.string(),
  preset: z.string(),
  emailDomains: z.array(z.string()),
  enabled: z.boolean(),
  config: z.record(z.string(), z.unknown()),
  /** Whether a sealed client secret is stored (the secret itself is never returned). */
  hasClientSecret: z.boolean(),
  /** What to register at the provider: the OpenID Connect redirect URI, or the SAML Assertion Consumer Service URL. */
  callbackUrl: z.string(),
  /** SAML: the SP metadata URL, which is also the SP entity id (audience); null for OpenID Connect. */
  metadataUrl: z.string().nullable(),
  /** How many users are linked through this provider (deleting it removes their links). */
  linkedUsers: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type IdentityProvider = z.infer<typeof identityProviderSchema>;

const mappingScopes = z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9:._-]{0,99}$/, { error: 'must be a scope such as finance:read' })).min(1).max(50);
const mappingGroupName = z.string().trim().min(1).max(256);

/** A group (as a provider asserts it) granting scopes; `providerId` null: whichever provider asserts it. */
export const createGroupMappingRequestSchema = z
  .object({
    providerId: z.uuid().nullable().default(null),
    groupName: mappingGroupName,
    scopes: mappingScopes,
  })
  .strict();
export type CreateGroupMappingRequest = z.infer<typeof createGroupMappingRequestSchema>;

export const updateGroupMappingRequestSchema = z
  .object({ groupName: mappingGroupName.optional(), scopes: mappingScopes.optional() })
  .strict()
  .refine((body) => Object.keys(body).length > 0, { error: 'nothing to change' });
export type UpdateGroupMappingRequest = z.infer<typeof updateGroupMappingRequestSchema>;

export const groupMappingSchema = z.object({
  id: z.string(),
  providerId: z.string().nullable(),
  /** The provider's slug, null when the mapping counts for every provider. */
  provider: z.string().nullable(),
  groupName: z.string(),
  scopes: z.array(z.string()),
  createdAt: z.string(),
});
export type GroupMapping = z.infer<typeof groupMappingSchema>;
