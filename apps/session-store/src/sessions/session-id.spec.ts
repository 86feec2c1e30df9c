import { describe, expect, it } from 'vitest';
import { sessionIdSchema } from '@airlock/contracts';
import { generateSessionId } from './session-id.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const N = 100_000;

/** Pearson's chi-square of observed counts against a uniform distribution over `categories`. */
function chiSquare(counts: readonly number[], categories: number, total: number): number {
  const expected = total / categories;
  return counts.reduce((sum, observed) => sum + (observed - expected) ** 2 / expected, 0);
}

/**
 * A threshold a truly uniform source exceeds with probability far below one in a billion (normal
 * approximation, mean k and variance 2k, plus ten standard deviations), so the test does not flake
 * while any real bias or structure (a counter, a timestamp, a fixed prefix) fails it by orders of magnitude.
 */
const limit = (degreesOfFreedom: number) => degreesOfFreedom + 10 * Math.sqrt(2 * degreesOfFreedom);

describe('session ids', () => {
  const ids = Array.from({ length: N }, generateSessionId);

  it('are valid MCP session ids of 256 bits (43 base64url characters)', () => {
    for (const id of ids.slice(0, 1000)) {
      expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(sessionIdSchema.safeParse(id).success).toBe(true);
    }
  });

  it(`never repeat in ${N.toLocaleString('en')}`, () => {
    expect(new Set(ids).size).toBe(N);
  });

  it('use every character uniformly at every position (chi-square per position)', () => {
    for (let position = 0; position < 42; position++) {
      const counts = new Array<number>(64).fill(0);
      for (const id of ids) counts[ALPHABET.indexOf(id[position] ?? '')]! += 1;
      expect(chiSquare(counts, 64, N), `position ${position}`).toBeLessThan(limit(63));
    }
    // The 43rd character carries the last 4 bits: 16 possible symbols, uniform among them.
    const last = new Map<string, number>();
    for (const id of ids) last.set(id[42] ?? '', (last.get(id[42] ?? '') ?? 0) + 1);
    expect(last.size).toBe(16);
    expect(chiSquare([...last.values()], 16, N)).toBeLessThan(limit(15));
  });

  it('have no bias in any bit (monobit per bit position of the decoded bytes)', () => {
    const ones = new Array<number>(256).fill(0);
    for (const id of ids) {
      const bytes = Buffer.from(id, 'base64url');
      for (let bit = 0; bit < 256; bit++) if ((bytes[bit >> 3]! >> (7 - (bit & 7))) & 1) ones[bit]! += 1;
    }
    // Binomial(N, 1/2): standard deviation sqrt(N)/2 ≈ 158; 7 standard deviations over 256 positions.
    for (const count of ones) expect(Math.abs(count - N / 2)).toBeLessThan(7 * (Math.sqrt(N) / 2));
  });

  it('share no prefixes beyond chance and do not follow from one another', () => {
    const sorted = [...ids].sort();
    let longest = 0;
    for (let i = 1; i < sorted.length; i++) {
      const a = sorted[i - 1] ?? '';
      const b = sorted[i] ?? '';
      let common = 0;
      while (common < a.length && a[common] === b[common]) common++;
      longest = Math.max(longest, common);
    }
    // Expected longest common prefix of 1e5 random base64url strings is about log64(N²/2) ≈ 5.4 characters;
    // 9 or more happens with probability ≈ 3e-7.
    expect(longest).toBeLessThanOrEqual(8);
    // Consecutive ids agree at a position with probability 1/64: about 0.67 of 43 characters on average.
    let agreements = 0;
    for (let i = 1; i < ids.length; i++) {
      const a = ids[i - 1] ?? '';
      const b = ids[i] ?? '';
      for (let p = 0; p < 42; p++) if (a[p] === b[p]) agreements++;
    }
    const expected = ((N - 1) * 42) / 64;
    expect(Math.abs(agreements - expected)).toBeLessThan(10 * Math.sqrt(expected));
  });
});
