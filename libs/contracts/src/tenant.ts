import { z } from 'zod';

/**
 * What a tenant slug looks like, for code that checks one per request without zod (the gateway's route);
 * the schema below is built on it, so the two cannot disagree. No `g` flag: `test` keeps no state.
 */
export const TENANT_SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** A tenant's slug: the `<tenant>` in `/t/<tenant>/...` URLs. Lowercase so URLs have one spelling. */
export const tenantSlugSchema = z.string().regex(TENANT_SLUG_PATTERN, {
  error: 'must be 1-63 lowercase letters, digits or dashes, not starting or ending with a dash',
});
export type TenantSlug = z.infer<typeof tenantSlugSchema>;

export const registrationPolicySchema = z.enum(['open', 'initial_access_token', 'off']);
export type RegistrationPolicy = z.infer<typeof registrationPolicySchema>;
