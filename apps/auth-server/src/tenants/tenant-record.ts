import type { RegistrationPolicy } from '@airlock/contracts';

/** A tenant as the auth server sees it (the `tenants` row, settings parsed). */
export interface TenantRecord {
  id: string;
  slug: string;
  displayName: string;
  registrationPolicy: RegistrationPolicy;
  /** Access-token lifetime in seconds. */
  accessTokenTtl: number;
  /** `${AUTH_PUBLIC_URL}/t/<slug>` */
  issuer: string;
}
