import { describe, expect, it } from 'vitest';
import { isSupportedNode } from './node-version.js';

describe('isSupportedNode', () => {
  it('accepts 22.19 and later, refuses older', () => {
    expect(isSupportedNode('v22.19.0')).toBe(true);
    expect(isSupportedNode('v24.1.0')).toBe(true);
    expect(isSupportedNode('v23.0.0')).toBe(true);
    expect(isSupportedNode('v22.18.9')).toBe(false);
    expect(isSupportedNode('v20.20.2')).toBe(false);
  });
});
