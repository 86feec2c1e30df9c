import { z } from 'zod';

// Shared pieces every app schema is built from. Messages never include the offending value: a
// malformed URL may well carry a password.

export const port = (fallback: number) =>
  z
    .string({ error: 'must be a port number' })
    .regex(/^\d{1,5}$/, { error: 'must be a port number (0-65535)' })
    .transform(Number)
    .refine((n) => n <= 65535, { error: 'must be a port number (0-65535)' })
    .prefault(String(fallback));

/** A port with no default: unset means the feature is off; 0 takes a free port (tests). */
export const optionalPort = z
  .string({ error: 'must be a port number' })
  .regex(/^\d{1,5}$/, { error: 'must be a port number (0-65535)' })
  .transform(Number)
  .refine((n) => n <= 65535, { error: 'must be a port number (0-65535)' })
  .optional();

export const httpUrl = z
  .string()
  .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), { error: 'must be an http(s) URL' })
  // Canonical form: no trailing slash, no default port (`https://auth.example:443` is `https://auth.example`,
  // so an issuer or resource URL built from a port setting equals the one clients compute).
  .transform((v) =>
    v
      .replace(/\/+$/, '')
      .replace(/^(https:\/\/[^/?#]+?):443(?=[/?#]|$)/i, '$1')
      .replace(/^(http:\/\/[^/?#]+?):80(?=[/?#]|$)/i, '$1'),
  );

export const postgresUrl = z
  .string()
  .refine((v) => URL.canParse(v) && /^postgres(ql)?:$/.test(new URL(v).protocol) && new URL(v).hostname !== '', {
    error: 'must be a postgresql://user@host:port/database URL',
  });

export const redisUrl = z
  .string()
  .refine((v) => URL.canParse(v) && /^rediss?:$/.test(new URL(v).protocol) && new URL(v).hostname !== '', {
    error: 'must be a redis://host:port URL',
  });

export const boolean = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
    .transform((v) => v === 'true' || v === '1' || v === 'yes')
    .prefault(fallback ? "true" : "false");

export const positiveInt = (fallback: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .regex(/^\d+$/, { error: 'must be a whole number' })
    .transform(Number)
    .refine((n) => n > 0, { error: 'must be greater than zero' })
    .refine((n) => n <= max, { error: `must be at most ${max}` })
    .prefault(String(fallback));

export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');

/** A 32-byte key, base64 or base64url encoded. */
export const masterKey = z
  .string()
  .refine((v) => Buffer.from(v, 'base64').length === 32, { error: 'must be 32 bytes, base64 encoded' });

export const secretString = (minLength: number) => z.string().min(minLength, { error: `must be at least ${minLength} characters` });
