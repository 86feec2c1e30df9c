import { describe, expect, it } from 'vitest';
import { resolveRequestId } from './request-id.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('resolveRequestId', () => {
  it('keeps a sane incoming id', () => {
    expect(resolveRequestId('abc-123_x.y:z')).toBe('abc-123_x.y:z');
    expect(resolveRequestId(['first', 'second'])).toBe('first');
  });

  it('replaces a missing, empty, overlong or unsafe id with a fresh UUID', () => {
    for (const bad of [undefined, '', 'x'.repeat(129), 'has space', 'quote"', 'line\nbreak', '{"level":"fatal"}']) {
      const id = resolveRequestId(bad);
      expect(id).toMatch(UUID);
    }
    expect(resolveRequestId(undefined)).not.toBe(resolveRequestId(undefined));
  });
});
