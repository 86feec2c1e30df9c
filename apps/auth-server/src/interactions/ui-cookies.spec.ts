import { describe, expect, it } from 'vitest';
import { UiCookies } from './ui-cookies.js';

describe('UiCookies', () => {
  it('uses __Host- prefixed, Secure, HttpOnly, SameSite=Lax, Path=/ cookies over https', () => {
    const cookies = new UiCookies(true);
    expect(cookies.serialize('airlock-csrf', 'v')).toBe('__Host-airlock-csrf=v; Path=/; HttpOnly; SameSite=Lax; Secure');
    expect(cookies.read({ cookie: 'a=1; __Host-airlock-csrf=v' }, 'airlock-csrf')).toBe('v');
    // An unprefixed cookie (set by a sibling subdomain or over http) is not trusted over https.
    expect(cookies.read({ cookie: 'airlock-csrf=planted' }, 'airlock-csrf')).toBeUndefined();
  });

  it('drops the prefix and Secure on plain http (development), keeping the rest', () => {
    const cookies = new UiCookies(false);
    expect(cookies.serialize('airlock-csrf', 'v', { maxAgeSeconds: 60 })).toBe('airlock-csrf=v; Path=/; HttpOnly; SameSite=Lax; Max-Age=60');
    expect(cookies.clear('airlock-csrf')).toBe('airlock-csrf=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0');
  });
});
