import { z } from 'zod';

/** A tenant's slug: the `<tenant>` in `/t/<tenant>/...` URLs. Lowercase so URLs have one spelling. */
export const tenantSlugSchema = z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, {
  error: 'must be 1-63 lowercase letters, digits or dashes, not starting or ending with a dash',
});
export type TenantSlug = z.infer<typeof tenantSlugSchema>;

export const registrationPolicySchema = z.enum(['open', 'initial_access_token', 'off']);
export type RegistrationPolicy = z.infer<typeof registrationPolicySchema>;
