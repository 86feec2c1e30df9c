import { z } from 'zod';
import { tenantSlugSchema } from './tenant.js';

// Who may call the admin API: role assignments of the principals of the reserved `admin` tenant (people,
// and automation clients using client_credentials), and the people's sign-in factors.

/** Platform admin: everything. Tenant admin: the named tenants only. Auditor: read-only, every tenant or the named ones. */
export const adminRoleSchema = z.enum(['platform-admin', 'tenant-admin', 'auditor']);
export type AdminRole = z.infer<typeof adminRoleSchema>;

/** A person (a user of the `admin` tenant, by id) or an automation client (a client of the `admin` tenant, by client_id). */
export const adminPrincipalTypeSchema = z.enum(['users', 'clients']);
export type AdminPrincipalType = z.infer<typeof adminPrincipalTypeSchema>;

export const adminPrincipalParamsSchema = z.object({ principalType: adminPrincipalTypeSchema, principalId: z.string().min(1).max(2000) });

const tenantSet = z.array(tenantSlugSchema).min(1).max(1000);

/**
 * Grants (or replaces) a principal's one role. `tenants`: the named tenants of a tenant admin, `all` or the
 * named tenants of an auditor; a platform admin has every tenant and takes none.
 */
export const putRoleAssignmentRequestSchema = z
  .object({ role: adminRoleSchema, tenants: z.union([z.literal('all'), tenantSet]).optional() })
  .strict()
  .refine((body) => (body.role === 'platform-admin') === (body.tenants === undefined), {
    error: 'tenants is required for a tenant-admin or an auditor, and not taken for a platform-admin',
    path: ['tenants'],
  })
  .refine((body) => !(body.role === 'tenant-admin' && body.tenants === 'all'), { error: 'a tenant admin holds named tenants (every tenant: platform-admin)', path: ['tenants'] });
export type PutRoleAssignmentRequest = z.infer<typeof putRoleAssignmentRequestSchema>;

export const roleAssignmentSchema = z.looseObject({
  principalType: adminPrincipalTypeSchema,
  principalId: z.string(),
  role: adminRoleSchema,
  /** `all`, or the slugs of the tenants (a deleted tenant leaves the set). */
  tenants: z.union([z.literal('all'), z.array(z.string())]),
  /** Who it is: the person's email (null for a client). */
  email: z.string().nullable(),
  /** The person's display name, or the client's `client_name`. */
  name: z.string().nullable(),
  /** A disabled principal keeps its assignment but the role does not apply. */
  disabled: z.boolean(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

export const createAdminUserRequestSchema = z
  .object({ email: z.email().max(320), password: z.string().min(8).max(1024), displayName: z.string().trim().min(1).max(200).optional() })
  .strict();
export const updateAdminUserRequestSchema = z.object({ disabled: z.boolean() }).strict();
export const adminUserParamsSchema = z.object({ id: z.uuid() });

/** Enrolling takes no input (an empty object, as every POST takes a JSON body). */
export const enrollAdminTotpRequestSchema = z.object({}).strict();

/** An RFC 6238 enrollment: the otpauth:// URI (holds the secret) for an authenticator app; returned this once only. */
export const totpEnrollmentResponseSchema = z.looseObject({ otpauth_uri: z.string() });

/** An automation client of the `admin` tenant: confidential, client_credentials only (its secret is in the create answer only). */
export const createAdminClientRequestSchema = z.object({ client_name: z.string().trim().min(1).max(200) }).strict();
export const updateAdminClientRequestSchema = z.object({ disabled: z.boolean() }).strict();
export const adminClientParamsSchema = z.object({ clientId: z.string().min(1).max(200) });
