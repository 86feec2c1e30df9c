import { Injectable } from '@nestjs/common';
import type { TenantRecord } from '../tenants/tenant-record.js';
import { LoginThrottle } from './login-throttle.js';
import { MAX_PASSWORD_LENGTH, PasswordHasher } from './password-hasher.js';
import { UserRepository } from './user.repository.js';
import type { UserRow } from './user.repository.js';

export type AuthenticationResult =
  | { ok: true; user: UserRow }
  | { ok: false; reason: 'invalid_credentials' }
  | { ok: false; reason: 'throttled'; retryAfterSeconds: number };

export const MIN_PASSWORD_LENGTH = 8;

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UserRepository,
    private readonly hasher: PasswordHasher,
    private readonly throttle: LoginThrottle,
  ) {}

  /**
   * Checks a password login. Unknown email, wrong password and disabled user all give the same answer
   * after the same work; throttling is checked first and looks the same for existing and unknown accounts.
   */
  async authenticate(tenant: TenantRecord, email: string, password: string, ip: string): Promise<AuthenticationResult> {
    const verdict = await this.throttle.check(tenant.slug, email, ip);
    if (!verdict.allowed) return { ok: false, reason: 'throttled', retryAfterSeconds: verdict.retryAfterSeconds };

    const user = email.length <= 320 ? await this.users.findByEmail(tenant.id, email) : undefined;
    const valid = user ? await this.hasher.verify(user.passwordHash, password) : await this.hasher.verifyAgainstDummy(password);
    if (!user || !valid || user.disabledAt) {
      await this.throttle.recordFailure(tenant.slug, email, ip);
      return { ok: false, reason: 'invalid_credentials' };
    }
    await this.throttle.recordSuccess(tenant.slug, email, ip);
    if (this.hasher.needsRehash(user.passwordHash)) {
      await this.users.updatePasswordHash(tenant.id, user.id, await this.hasher.hash(password));
    }
    return { ok: true, user };
  }

  /** For the admin API and the embedded demo user. */
  async createUser(tenantId: string, input: { email: string; password: string; displayName?: string }): Promise<UserRow> {
    if (input.password.length < MIN_PASSWORD_LENGTH || input.password.length > MAX_PASSWORD_LENGTH) {
      throw new RangeError(`password must be ${MIN_PASSWORD_LENGTH}-${MAX_PASSWORD_LENGTH} characters`);
    }
    const passwordHash = await this.hasher.hash(input.password);
    return this.users.create({ tenantId, email: input.email, passwordHash, ...(input.displayName ? { displayName: input.displayName } : {}) });
  }

  findById(tenantId: string, id: string): Promise<UserRow | undefined> {
    return this.users.findById(tenantId, id);
  }
}
