import { describe, expect, it } from 'vitest';
import { BoundedCache } from './bounded-cache.js';

describe('BoundedCache', () => {
  it('evicts the least recently used entry beyond its bound', () => {
    const evicted: string[] = [];
    const cache = new BoundedCache<string, number>(2, Number.POSITIVE_INFINITY, (key) => evicted.push(key));
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1);
    cache.set('c', 3);
    expect(cache.keys()).toEqual(['a', 'c']);
    expect(cache.get('b')).toBeUndefined();
    expect(evicted).toEqual(['b']);
    expect(cache.size).toBe(2);
  });

  it('forgets entries past their lifetime', () => {
    const cache = new BoundedCache<string, number>(10, -1);
    cache.set('a', 1);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('keeps at most its bound however many distinct keys arrive', () => {
    const cache = new BoundedCache<number, number>(100);
    for (let i = 0; i < 10_000; i++) cache.set(i, i);
    expect(cache.size).toBe(100);
    expect(cache.get(9_999)).toBe(9_999);
    expect(cache.get(0)).toBeUndefined();
  });

  it('refuses a bound below one', () => {
    expect(() => new BoundedCache(0)).toThrow(RangeError);
  });
});
