import { describe, expect, it } from 'vitest';
import { clientNetworkKey } from './client-network.js';

describe('clientNetworkKey', () => {
  it('counts an IPv4 client by its address', () => {
    expect(clientNetworkKey('203.0.113.7')).toBe('203.0.113.7');
  });

  it('counts every address of one IPv6 /64 as one client', () => {
    const a = clientNetworkKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd');
    expect(a).toBe('2001:db8:1:2::/64');
    expect(clientNetworkKey('2001:db8:1:2::1')).toBe(a);
    expect(clientNetworkKey('2001:DB8:1:2:0:0:0:ffff%eth0')).toBe(a);
    expect(clientNetworkKey('2001:db8:1:3::1')).not.toBe(a);
  });

  it('expands compressed forms the same way', () => {
    expect(clientNetworkKey('::1')).toBe('0:0:0:0::/64');
    expect(clientNetworkKey('fe80::1')).toBe('fe80:0:0:0::/64');
  });

  it('counts IPv4-mapped IPv6 addresses as the IPv4 address', () => {
    expect(clientNetworkKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientNetworkKey('::ffff:cb00:7107')).toBe('203.0.113.7');
  });

  it('leaves what is not an address untouched', () => {
    expect(clientNetworkKey('unknown')).toBe('unknown');
  });
});
