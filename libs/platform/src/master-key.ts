import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export class MasterKeyError extends Error {}

/**
 * The 32-byte key that encrypts secrets at rest (signing keys, upstream credentials) and derives internal
 * client secrets. Production passes it in AIRLOCK_MASTER_KEY; a development or embedded start without one
 * creates it once in the data directory (mode 0600) and reuses it, so restarts can still decrypt.
 */
export function resolveMasterKey(options: { configured?: string | undefined; dataDir: string; production: boolean }): Buffer {
  if (options.configured) return Buffer.from(options.configured, 'base64');
  if (options.production) throw new MasterKeyError('AIRLOCK_MASTER_KEY is required in production (32 random bytes, base64)');
  const file = join(options.dataDir, 'master.key');
  if (existsSync(file)) {
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new MasterKeyError(`${file} does not hold a 32-byte base64 key`);
    return key;
  }
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  return key;
}
