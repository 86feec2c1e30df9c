import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode, hotp, matchTotp, otpauthUri, totpStep } from './totp.js';

// RFC 6238 Appendix B (SHA-1 seed, 8 digits there; the 6-digit codes are their last six digits).
const RFC_SEED = Buffer.from('12345678901234567890');
const RFC_VECTORS: Array<[number, string]> = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

describe('TOTP (RFC 6238)', () => {
  it('matches the RFC 6238 test vectors', () => {
    for (const [seconds, code] of RFC_VECTORS) expect(hotp(RFC_SEED, totpStep(seconds * 1000))).toBe(code.slice(-6));
  });

  it('matches RFC 4226 HOTP vectors', () => {
    expect([0, 1, 2, 9].map((counter) => hotp(RFC_SEED, counter))).toEqual(['755224', '287082', '359152', '520489']);
  });

  it('accepts one step either side, not two, and never a step at or before the last used one', () => {
    const now = 1_700_000_000_000;
    const step = totpStep(now);
    expect(matchTotp(RFC_SEED, hotp(RFC_SEED, step), now, 0)).toBe(step);
    expect(matchTotp(RFC_SEED, hotp(RFC_SEED, step - 1), now, 0)).toBe(step - 1);
    expect(matchTotp(RFC_SEED, hotp(RFC_SEED, step + 1), now, 0)).toBe(step + 1);
    expect(matchTotp(RFC_SEED, hotp(RFC_SEED, step - 2), now, 0)).toBeUndefined();
    expect(matchTotp(RFC_SEED, hotp(RFC_SEED, step), now, step)).toBeUndefined();
    expect(matchTotp(RFC_SEED, 'abcdef', now, 0)).toBeUndefined();
  });

  it('round-trips base32 and builds an otpauth URI', () => {
    expect(base32Encode(Buffer.from('foobar'))).toBe('MZXW6YTBOI');
    expect(base32Decode('MZXW6YTBOI').toString()).toBe('foobar');
    const uri = new URL(otpauthUri(RFC_SEED, 'Airlock', 'ops@example.com'));
    expect(uri.protocol).toBe('otpauth:');
    expect(base32Decode(uri.searchParams.get('secret')!)).toEqual(RFC_SEED);
    expect(uri.searchParams.get('period')).toBe('30');
  });
});
