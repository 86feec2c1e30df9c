import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openSecret, sealSecret, SecretBoxError } from './secret-box.js';

describe('secret box', () => {
  const key = randomBytes(32);

  it('round-trips and never repeats a ciphertext', () => {
    const a = sealSecret(key, 'hunter2', 'tenant:1');
    expect(a).not.toContain('hunter2');
    expect(sealSecret(key, 'hunter2', 'tenant:1')).not.toBe(a);
    expect(openSecret(key, a, 'tenant:1')).toBe('hunter2');
  });

  it('refuses another context, another key, or a tampered ciphertext', () => {
    const sealed = sealSecret(key, 'hunter2', 'tenant:1');
    expect(() => openSecret(key, sealed, 'tenant:2')).toThrow(SecretBoxError);
    expect(() => openSecret(randomBytes(32), sealed, 'tenant:1')).toThrow(SecretBoxError);
    const parts = sealed.split('.');
    parts[3] = Buffer.from('x').toString('base64url');
    expect(() => openSecret(key, parts.join('.'), 'tenant:1')).toThrow(SecretBoxError);
    expect(() => openSecret(key, 'garbage', 'tenant:1')).toThrow(SecretBoxError);
  });
});
