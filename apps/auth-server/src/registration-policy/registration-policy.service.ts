import { Inject, Injectable } from '@nestjs/common';
import type { AuthServerConfig } from '@airlock/config';
import type { HotStore } from '@airlock/redis';
import { ClientMetadataError } from '../client-metadata/client-metadata-resolver.js';
import { AUTH_CONFIG, HOT_STORE } from '../infra/infra.tokens.js';
import { RegistrationPolicyGate } from './registration-policy-gate.js';
import type { TenantRecord } from '../tenants/tenant-record.js';
import { clientMetadataProblem } from './client-metadata-rules.js';
import { clientNetworkKey } from './client-network.js';
import { FixedWindowLimiter } from './fixed-window-limiter.js';
import type { LimitSet } from './fixed-window-limiter.js';
import { RegistrationRateLimitedError } from './registration-policy.errors.js';

export type RegistrationLimits = LimitSet<'perIp' | 'perTenant'>;

export function registrationRateKeys(tenantSlug: string, ip: string): Record<keyof RegistrationLimits, string> {
  return { perIp: `auth:rl:reg-ip:${tenantSlug}:${clientNetworkKey(ip)}`, perTenant: `auth:rl:reg-tenant:${tenantSlug}` };
}

/**
 * The per-tenant dynamic registration policy beyond open/initial-access-token/off (which auth-core
 * configures in oidc-provider): flood limits per client IP and per tenant, and metadata hygiene.
 */
@Injectable()
export class RegistrationPolicyService extends RegistrationPolicyGate {
  private readonly limiter: FixedWindowLimiter;
  limits: RegistrationLimits;

  constructor(
    @Inject(HOT_STORE) hot: HotStore,
    // An honest client registers once per install; these only bite floods (AUTH_REGISTRATION_LIMIT_*).
    @Inject(AUTH_CONFIG) { registrationLimits }: Pick<AuthServerConfig, 'registrationLimits'>,
  ) {
    super();
    this.limits = registrationLimits;
    this.limiter = new FixedWindowLimiter(hot);
  }

  override async admit(tenant: TenantRecord, request: { ip: string }): Promise<void> {
    if (tenant.registrationPolicy === 'off') {
      throw new ClientMetadataError('access_denied', 'dynamic client registration is disabled for this tenant');
    }
    // Per IP first, so one noisy address does not use up the tenant's budget once it is refused.
    const verdict = await this.limiter.hitInOrder(registrationRateKeys(tenant.slug, request.ip), this.limits, ['perIp', 'perTenant']);
    if (!verdict.allowed) throw new RegistrationRateLimitedError(verdict.refusedBy === 'perIp' ? 'ip' : 'tenant', verdict.retryAfterSeconds);
  }

  override async validate(_tenant: TenantRecord, metadata: Record<string, unknown>, _source: 'dynamic' | 'admin'): Promise<void> {
    assertClientMetadataHygiene(metadata);
  }
}

/** Sync form of `validate`, for oidc-provider's synchronous `extraClientMetadata.validator`. */
export function assertClientMetadataHygiene(metadata: Record<string, unknown>): void {
  const problem = clientMetadataProblem(metadata);
  if (problem) throw new ClientMetadataError(problem.error, problem.description);
}
