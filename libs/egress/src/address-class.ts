import { BlockList, isIP } from 'node:net';

// What kind of address a server-side connection would reach. Checked on resolved addresses, not host
// names. Some classes are never reachable (metadata, link-local, unspecified, multicast); loopback,
// private and reserved ranges only when an operator allow-list says so; public ones always.

export type AddressClass = 'public' | 'loopback' | 'private' | 'reserved' | 'link_local' | 'metadata' | 'unspecified' | 'multicast' | 'invalid';

/** Classes no allow-list can open: cloud metadata, link-local, "this host", multicast/broadcast, non-addresses. */
export const ALWAYS_REFUSED: ReadonlySet<AddressClass> = new Set(['link_local', 'metadata', 'unspecified', 'multicast', 'invalid']);

function list(family: 'ipv4' | 'ipv6', subnets: ReadonlyArray<readonly [string, number]>): BlockList {
  const blocks = new BlockList();
  for (const [network, prefix] of subnets) blocks.addSubnet(network, prefix, family);
  return blocks;
}

// Order matters: the first list that holds an address names its class (metadata inside CGNAT, say).
const IPV4: ReadonlyArray<readonly [AddressClass, BlockList]> = [
  ['metadata', list('ipv4', [['100.100.100.200', 32], ['192.0.0.192', 32]])], // Alibaba, Oracle metadata
  ['unspecified', list('ipv4', [['0.0.0.0', 8]])], // "this network"
  ['loopback', list('ipv4', [['127.0.0.0', 8]])],
  ['link_local', list('ipv4', [['169.254.0.0', 16]])], // AWS/GCP/Azure metadata at 169.254.169.254
  ['multicast', list('ipv4', [['224.0.0.0', 4], ['240.0.0.0', 4]])], // multicast, reserved, broadcast
  ['private', list('ipv4', [['10.0.0.0', 8], ['100.64.0.0', 10], ['172.16.0.0', 12], ['192.168.0.0', 16]])], // RFC 1918, CGNAT
  [
    'reserved',
    list('ipv4', [
      ['192.0.0.0', 24], // IETF protocol assignments
      ['192.0.2.0', 24], // documentation
      ['192.88.99.0', 24], // 6to4 relay anycast
      ['198.18.0.0', 15], // benchmarking
      ['198.51.100.0', 24],
      ['203.0.113.0', 24],
    ]),
  ],
];

const IPV6: ReadonlyArray<readonly [AddressClass, BlockList]> = [
  ['metadata', list('ipv6', [['fd00:ec2::254', 128]])], // AWS metadata over IPv6
  ['unspecified', list('ipv6', [['::', 128]])],
  ['loopback', list('ipv6', [['::1', 128]])],
  ['link_local', list('ipv6', [['fe80::', 10]])],
  ['multicast', list('ipv6', [['ff00::', 8]])],
  ['private', list('ipv6', [['fc00::', 7], ['fec0::', 10]])], // unique local, deprecated site-local
  ['reserved', list('ipv6', [['100::', 64], ['2001:db8::', 32]])], // discard, documentation
];

/** The IPv4 address hidden in an IPv4-mapped, IPv4-compatible, NAT64 or 6to4 IPv6 address. */
function embeddedIpv4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|::|64:ff9b::)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(lower);
  if (dotted) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex) {
    const high = parseInt(hex[1]!, 16);
    const low = parseInt(hex[2]!, 16);
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  const sixToFour = /^2002:([0-9a-f]{1,4}):([0-9a-f]{1,4}):/.exec(lower);
  if (sixToFour) {
    const high = parseInt(sixToFour[1]!, 16);
    const low = parseInt(sixToFour[2]!, 16);
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  return undefined;
}

/**
 * The address as the checks see it: brackets and zone dropped, an IPv4 address embedded in IPv6 taken
 * out (so `::ffff:127.0.0.1` is loopback), lower case. Undefined when it is not an IP address.
 */
export function canonicalAddress(address: string): { address: string; family: 'ipv4' | 'ipv6' } | undefined {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 4) return { address: bare, family: 'ipv4' };
  if (family !== 6) return undefined;
  const v4 = embeddedIpv4(bare);
  if (v4 !== undefined) return isIP(v4) === 4 ? { address: v4, family: 'ipv4' } : undefined;
  return { address: bare.toLowerCase(), family: 'ipv6' };
}

export function classifyAddress(address: string): AddressClass {
  const canonical = canonicalAddress(address);
  if (!canonical) return 'invalid'; // not an IP address at all: never connect to it
  for (const [kind, blocks] of canonical.family === 'ipv4' ? IPV4 : IPV6) {
    if (blocks.check(canonical.address, canonical.family)) return kind;
  }
  return 'public';
}

/** True for private, loopback, link-local, CGNAT, multicast, unspecified, reserved and documentation addresses. */
export function isForbiddenAddress(address: string): boolean {
  return classifyAddress(address) !== 'public';
}

export function isLoopbackAddress(address: string): boolean {
  return classifyAddress(address) === 'loopback';
}

/** What an operator reads in an error: why this class of address is refused. */
export function describeAddressClass(kind: AddressClass): string {
  switch (kind) {
    case 'metadata':
      return 'a cloud metadata address';
    case 'link_local':
      return 'a link-local (cloud metadata) address';
    case 'unspecified':
      return 'an unspecified address';
    case 'multicast':
      return 'a multicast, broadcast or reserved address';
    case 'loopback':
      return 'a loopback address';
    case 'private':
      return 'a private-network address';
    case 'reserved':
      return 'a reserved address';
    case 'invalid':
      return 'no IP address';
    case 'public':
      return 'a public address';
  }
}
