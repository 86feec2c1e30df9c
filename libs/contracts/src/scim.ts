import { z } from 'zod';

// SCIM 2.0 (RFC 7643 resources, RFC 7644 protocol) as the auth server serves it at /scim/v2/t/<tenant>.
// Input schemas are loose on purpose: provisioning clients (Okta, Entra ID) send attributes we do not
// keep, and the protocol says unknown attributes are ignored, not refused.

export const SCIM_PATH_PREFIX = '/scim/v2/t';
export const SCIM_CONTENT_TYPE = 'application/scim+json';

export const ScimSchemas = {
  user: 'urn:ietf:params:scim:schemas:core:2.0:User',
  enterpriseUser: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  listResponse: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
  patchOp: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
  error: 'urn:ietf:params:scim:api:messages:2.0:Error',
  serviceProviderConfig: 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig',
  resourceType: 'urn:ietf:params:scim:schemas:core:2.0:ResourceType',
  schema: 'urn:ietf:params:scim:schemas:core:2.0:Schema',
} as const;

/** RFC 7644 §3.12 `scimType` values this server answers with. */
export const scimErrorTypeSchema = z.enum(['invalidFilter', 'invalidValue', 'uniqueness', 'mutability', 'invalidSyntax', 'noTarget', 'invalidPath', 'tooMany']);
export type ScimErrorType = z.infer<typeof scimErrorTypeSchema>;

/** RFC 7644 §3.12: `status` is the HTTP status as a string. */
export const scimErrorSchema = z.object({
  schemas: z.tuple([z.literal(ScimSchemas.error)]),
  status: z.string(),
  scimType: scimErrorTypeSchema.optional(),
  detail: z.string().optional(),
});
export type ScimError = z.infer<typeof scimErrorSchema>;

/** A boolean as clients send it: Entra ID sends `"True"`/`"False"` strings in PATCH values. */
export const scimBooleanSchema = z.union([
  z.boolean(),
  z
    .string()
    .refine((text) => /^(true|false)$/i.test(text), 'not a boolean')
    .transform((text) => text.toLowerCase() === 'true'),
]);

const scimMultiValueSchema = z.looseObject({
  value: z.string().max(2000).optional(),
  type: z.string().max(100).optional(),
  primary: scimBooleanSchema.optional(),
  display: z.string().max(2000).optional(),
});

export const scimNameSchema = z.looseObject({
  formatted: z.string().max(2000).optional(),
  givenName: z.string().max(2000).optional(),
  familyName: z.string().max(2000).optional(),
});

/** A User as POSTed or PUT (RFC 7643 §4.1); `userName` is the sign-in name (an email here). */
export const scimUserInputSchema = z.looseObject({
  schemas: z.array(z.string()).optional(),
  userName: z.string().trim().min(1).max(320),
  externalId: z.string().max(2000).nullish(),
  displayName: z.string().max(2000).nullish(),
  name: scimNameSchema.nullish(),
  active: scimBooleanSchema.optional(),
  emails: z.array(scimMultiValueSchema).max(100).optional(),
  /** Accepted and ignored: SCIM-provisioned users sign in through their identity provider. */
  password: z.string().optional(),
});
export type ScimUserInput = z.infer<typeof scimUserInputSchema>;

export const scimMemberInputSchema = z.looseObject({
  value: z.string().min(1).max(200),
  display: z.string().max(2000).optional(),
  type: z.string().optional(),
});

/** A Group as POSTed or PUT (RFC 7643 §4.2); members are users of the same tenant. */
export const scimGroupInputSchema = z.looseObject({
  schemas: z.array(z.string()).optional(),
  displayName: z.string().trim().min(1).max(500),
  externalId: z.string().max(2000).nullish(),
  members: z.array(scimMemberInputSchema).max(10_000).optional(),
});
export type ScimGroupInput = z.infer<typeof scimGroupInputSchema>;

/** One PATCH operation (RFC 7644 §3.5.2); `op` is case-insensitive (Entra ID sends `Replace`). */
export const scimPatchOperationSchema = z.looseObject({
  op: z
    .string()
    .transform((op) => op.toLowerCase())
    .pipe(z.enum(['add', 'replace', 'remove'])),
  path: z.string().min(1).max(1000).optional(),
  value: z.unknown().optional(),
});
export type ScimPatchOperation = z.infer<typeof scimPatchOperationSchema>;

export const scimPatchRequestSchema = z.looseObject({
  schemas: z.array(z.string()).refine((schemas) => schemas.includes(ScimSchemas.patchOp), 'schemas must name the PatchOp message'),
  Operations: z.array(scimPatchOperationSchema).min(1).max(1000),
});
export type ScimPatchRequest = z.infer<typeof scimPatchRequestSchema>;

/** `?filter=&startIndex=&count=` of a list (RFC 7644 §3.4.2); startIndex is 1-based. */
export const scimListQuerySchema = z.looseObject({
  filter: z.string().max(2000).optional(),
  startIndex: z.coerce.number().int().catch(1).transform((value) => Math.max(1, value)).optional(),
  count: z.coerce.number().int().catch(100).transform((value) => Math.min(Math.max(0, value), 200)).optional(),
  attributes: z.string().optional(),
  excludedAttributes: z.string().optional(),
});

export const scimMetaSchema = z.object({
  resourceType: z.enum(['User', 'Group']),
  created: z.string(),
  lastModified: z.string(),
  location: z.string(),
});

export const scimUserSchema = z.object({
  schemas: z.array(z.string()),
  id: z.string(),
  externalId: z.string().optional(),
  userName: z.string(),
  displayName: z.string().optional(),
  name: scimNameSchema.optional(),
  active: z.boolean(),
  emails: z.array(z.object({ value: z.string(), type: z.string(), primary: z.boolean() })),
  groups: z.array(z.object({ value: z.string(), display: z.string(), $ref: z.string() })).optional(),
  meta: scimMetaSchema,
});
export type ScimUser = z.infer<typeof scimUserSchema>;

export const scimGroupSchema = z.object({
  schemas: z.array(z.string()),
  id: z.string(),
  externalId: z.string().optional(),
  displayName: z.string(),
  members: z.array(z.object({ value: z.string(), display: z.string().optional(), $ref: z.string() })).optional(),
  meta: scimMetaSchema,
});
export type ScimGroup = z.infer<typeof scimGroupSchema>;

export function scimListResponseSchema<T extends z.ZodType>(resource: T) {
  return z.object({
    schemas: z.tuple([z.literal(ScimSchemas.listResponse)]),
    totalResults: z.number().int(),
    startIndex: z.number().int(),
    itemsPerPage: z.number().int(),
    Resources: z.array(resource),
  });
}

// Admin API: a tenant's SCIM bearer tokens (the secret is shown once, stored as its SHA-256).

export const scimTokenSchema = z.object({
  id: z.string(),
  createdAt: z.iso.datetime(),
  lastUsedAt: z.iso.datetime().nullable(),
});
export const createdScimTokenSchema = scimTokenSchema.extend({
  /** Shown once: the provisioning client's bearer token. */
  token: z.string(),
  /** Where the provisioning client sends its requests. */
  baseUrl: z.string(),
});

/**
 * How the first sign-in of a person through an identity provider may link to a user the tenant's SCIM
 * client created (a user without a password): `externalId` when the provider's subject equals the SCIM
 * `externalId` (Okta: the user id, which is the OIDC `sub`; Entra ID: map `objectId` to externalId, the
 * entra preset's subject is `oid`), `userName` when the provider-verified email equals the SCIM `userName`.
 * Set on the provider the SCIM client mirrors (its config's `linkScimUsersBy`); unset, such a sign-in is
 * refused as `email_in_use` like any collision. Never links a user with a password.
 */
export const scimLinkRuleSchema = z.enum(['externalId', 'userName']);
export type ScimLinkRule = z.infer<typeof scimLinkRuleSchema>;
