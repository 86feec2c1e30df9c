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

/** Grants (or replaces) a principal's one role. */
export const putRoleAssignmentRequestSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('platform-admin') }).strict(),
  z.object({ role: z.literal('tenant-admin'), tenants: tenantSet }).strict(),
  z.object({ role: z.literal('auditor'), tenants: z.union([z.literal('all'), tenantSet]) }).strict(),
]);
export type PutRoleAssignmentRequest = z.infer<typeof putRoleAssignmentRequestSchema>;

export const roleAssignmentSchema = z.looseObject({
  principalType: adminPrincipalTypeSchema,
  principalId: z.string(),
  role: adminRoleSchema,
  /** `all`, or the slugs of the tenants (a deleted tenant leaves the set). */
  tenants: z.union([z.literal('all'), z.array(z.string())]),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

export const createAdminUserRequestSchema = z
  .object({ email: z.email().max(320), password: z.string().min(8).max(1024), displayName: z.string().trim().min(1).max(200).optional() })
  .strict();
export const updateAdminUserRequestSchema = z.object({ disabled: z.boolean() }).strict();
export const adminUserParamsSchema = z.object({ id: z.uuid() });

/** An RFC 6238 enrollment: the otpauth:// URI (holds the secret) for an authenticator app; returned this once only. */
export const totpEnrollmentResponseSchema = z.looseObject({ otpauth_uri: z.string() });
