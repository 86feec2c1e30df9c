import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHotStore } from '@airlock/testing';
import type { HotStore } from '@airlock/redis';
import type { TenantRecord } from '../tenants/tenant-record.js';
import { RegistrationRateLimitedError } from './registration-policy.errors.js';
import { RegistrationPolicyService } from './registration-policy.service.js';
import type { RegistrationLimits } from './registration-policy.service.js';
import { refusal } from '../../test/support/refusal.js';

const tenant = (slug: string, registrationPolicy: TenantRecord['registrationPolicy'] = 'open'): TenantRecord => ({
  id: '00000000-0000-0000-0000-000000000001',
  slug,
  displayName: slug,
  registrationPolicy,
  accessTokenTtl: 600,
  issuer: `http://localhost/t/${slug}`,
});

const registrationLimits: RegistrationLimits = { perIp: { max: 20, windowMs: 600_000 }, perTenant: { max: 500, windowMs: 600_000 } };

describe('RegistrationPolicyService.admit', () => {
  let hot: HotStore;
  beforeAll(() => {
    hot = createTestHotStore();
  });
  afterAll(async () => {
    await hot.close();
  });

  it('limits registrations per IP, with a Retry-After within the window', async () => {
    const gate = new RegistrationPolicyService(hot, { registrationLimits });
    gate.limits = { perIp: { max: 3, windowMs: 60_000 }, perTenant: { max: 100, windowMs: 60_000 } };
    for (let i = 0; i < 3; i++) await gate.admit(tenant('ip-limit'), { ip: '203.0.113.7' });
    const error = await refusal(gate.admit(tenant('ip-limit'), { ip: '203.0.113.7' }));
    expect(error).toBeInstanceOf(RegistrationRateLimitedError);
    expect((error as RegistrationRateLimitedError).scope).toBe('ip');
    expect((error as RegistrationRateLimitedError).retryAfterSeconds).toBeGreaterThan(0);
    expect((error as RegistrationRateLimitedError).retryAfterSeconds).toBeLessThanOrEqual(60);
    // Another address is not affected, nor the same address on another tenant.
    await gate.admit(tenant('ip-limit'), { ip: '203.0.113.8' });
    await gate.admit(tenant('ip-limit-other'), { ip: '203.0.113.7' });
  });

  it('limits registrations per tenant across addresses', async () => {
    const gate = new RegistrationPolicyService(hot, { registrationLimits });
    gate.limits = { perIp: { max: 100, windowMs: 60_000 }, perTenant: { max: 5, windowMs: 60_000 } };
    for (let i = 0; i < 5; i++) await gate.admit(tenant('tenant-limit'), { ip: `198.51.100.${i}` });
    const error = await refusal(gate.admit(tenant('tenant-limit'), { ip: '198.51.100.99' }));
    expect((error as RegistrationRateLimitedError).scope).toBe('tenant');
  });

  it('refuses when the tenant turned registration off', async () => {
    const error = await refusal(new RegistrationPolicyService(hot, { registrationLimits }).admit(tenant('closed', 'off'), { ip: '192.0.2.1' }));
    expect(error.error).toBe('access_denied');
  });
});
