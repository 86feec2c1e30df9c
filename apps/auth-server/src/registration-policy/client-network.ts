import { isIPv4, isIPv6 } from 'node:net';

/**
 * The network a throttle counts a client by. An IPv4 address is one client; an IPv6 client usually holds a
 * whole /64 (SLAAC, privacy addresses), so counting single IPv6 addresses would let one host rotate past
 * every per-IP limit. IPv4-mapped IPv6 addresses count as their IPv4 address.
 */
export function clientNetworkKey(address: string): string {
  const unzoned = address.split('%')[0] ?? address;
  if (isIPv4(unzoned)) return unzoned;
  const groups = isIPv6(unzoned) ? ipv6Groups(unzoned) : undefined;
  if (!groups) return address;
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    const [high = 0, low = 0] = groups.slice(6);
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
  }
  return `${groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (with `::` expanded and a trailing dotted quad folded in). */
function ipv6Groups(address: string): number[] | undefined {
  let text = address.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const missing = 8 - left.length - right.length;
  if (missing < 0 || (tail === undefined && missing !== 0)) return undefined;
  return [...left, ...new Array<number>(missing).fill(0), ...right];
}
