import { Injectable } from '@nestjs/common';
import { hash, verify } from '@node-rs/argon2';
import type { Algorithm, Options } from '@node-rs/argon2';

/**
 * argon2id with OWASP's first recommended profile (m=19 MiB, t=2, p=1): ~20-40 ms per hash here, and
 * memory-hard enough that a GPU farm gains little. The PHC string carries its parameters, so raising
 * them later only needs `needsRehash` on login.
 */
export const ARGON2ID_OPTIONS: Options = {
  algorithm: 2 as Algorithm, // Argon2id (a const enum in the typings, unusable under isolatedModules)
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
  outputLen: 32,
};

export const MAX_PASSWORD_LENGTH = 1024;

@Injectable()
export class PasswordHasher {
  private dummy: Promise<string> | undefined;

  hash(password: string): Promise<string> {
    return hash(password, ARGON2ID_OPTIONS);
  }

  /** False for a wrong password and for a malformed stored hash (never throws on bad input). */
  async verify(passwordHash: string, password: string): Promise<boolean> {
    if (password.length > MAX_PASSWORD_LENGTH) return false;
    try {
      return await verify(passwordHash, password);
    } catch {
      return false;
    }
  }

  /** Burns the same time as a real verification, for unknown accounts: no timing oracle for existence. */
  async verifyAgainstDummy(password: string): Promise<false> {
    this.dummy ??= this.hash('airlock-dummy-password-for-timing');
    await this.verify(await this.dummy, password.slice(0, MAX_PASSWORD_LENGTH));
    return false;
  }

  needsRehash(passwordHash: string): boolean {
    const match = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(passwordHash);
    if (!match) return true;
    return Number(match[1]) < ARGON2ID_OPTIONS.memoryCost! || Number(match[2]) < ARGON2ID_OPTIONS.timeCost! || Number(match[3]) !== ARGON2ID_OPTIONS.parallelism;
  }
}
