import { isIPv6 } from 'node:net';

/** Hextets of an IPv6 network prefix that one client is taken to hold: a /64, what a single host is usually given. */
const IPV6_PREFIX_HEXTETS = 4;

/**
 * The key a client's failed token checks are tracked under: its socket's remote address (`X-Forwarded-For` is not
 * read: any client can write it). An IPv4 address mapped into IPv6 is the IPv4 address; an IPv6 address is its
 * /64, since one host can pick any of the 2^64 addresses in it and would otherwise count as that many clients.
 */
export function clientKey(remoteAddress: string | undefined): string {
  // A socket that closed before the check has no address left: those few share one key.
  if (!remoteAddress) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remoteAddress)?.[1];
  if (mapped) return mapped;
  const address = remoteAddress.replace(/%.*$/, '');
  if (!isIPv6(address)) return address;
  const [head = '', tail] = address.split('::');
  const groups = head === '' ? [] : head.split(':');
  // `a:b::c` leaves out as many zero groups as make eight (an embedded IPv4 tail counts as two).
  if (tail !== undefined) {
    const tailGroups = tail === '' ? [] : tail.split(':');
    const tailLength = tailGroups.reduce((n, group) => n + (group.includes('.') ? 2 : 1), 0);
    groups.push(...Array<string>(8 - groups.length - tailLength).fill('0'), ...tailGroups);
  }
  const prefix = groups.slice(0, IPV6_PREFIX_HEXTETS).map((group) => Number.parseInt(group, 16).toString(16));
  return `${prefix.join(':')}::/64`;
}
