// The SSRF rules. Image strings come from whoever may create a Pod; the registry client must
// never become a way to reach the cluster's inside (cloud metadata at 169.254.169.254, the
// API server, node ports). Every address a connection would use is checked here first.
// Ranges: https://www.iana.org/assignments/iana-ipv4-special-registry and its IPv6 twin.
import { BlockList, isIP } from 'node:net';

const BLOCKED_V4: readonly (readonly [string, number, string])[] = [
  ['0.0.0.0', 8, '"this network" (0.0.0.0/8)'],
  ['10.0.0.0', 8, 'private (10.0.0.0/8)'],
  ['100.64.0.0', 10, 'carrier-grade NAT (100.64.0.0/10)'],
  ['127.0.0.0', 8, 'loopback (127.0.0.0/8)'],
  ['169.254.0.0', 16, 'link-local / cloud metadata (169.254.0.0/16)'],
  ['172.16.0.0', 12, 'private (172.16.0.0/12)'],
  ['192.0.0.0', 24, 'IETF protocol assignments (192.0.0.0/24)'],
  ['192.168.0.0', 16, 'private (192.168.0.0/16)'],
  ['198.18.0.0', 15, 'benchmarking (198.18.0.0/15)'],
  ['224.0.0.0', 4, 'multicast (224.0.0.0/4)'],
  ['240.0.0.0', 4, 'reserved (240.0.0.0/4)'],
];

const BLOCKED_V6: readonly (readonly [string, number, string])[] = [
  ['::', 128, 'unspecified (::)'],
  ['::1', 128, 'loopback (::1)'],
  // NAT64 reaches IPv4 hosts by another spelling: refused whole. (IPv4-mapped ::ffff:0:0/96
  // is checked apart: BlockList would match every IPv4 address against that subnet.)
  ['64:ff9b::', 96, 'NAT64 (64:ff9b::/96)'],
  ['fc00::', 7, 'unique local (fc00::/7)'],
  ['fe80::', 10, 'link-local (fe80::/10)'],
  ['ff00::', 8, 'multicast (ff00::/8)'],
];

// The WHATWG URL parser writes every IPv6 address in one canonical form.
const IPV4_MAPPED = /^\[::ffff:[0-9a-f]{1,4}:[0-9a-f]{1,4}\]$/;

const blockList = new BlockList();
const reasons: { list: BlockList; reason: string }[] = [];
for (const [net, prefix, reason] of BLOCKED_V4) add(net, prefix, 'ipv4', reason);
for (const [net, prefix, reason] of BLOCKED_V6) add(net, prefix, 'ipv6', reason);

function add(net: string, prefix: number, family: 'ipv4' | 'ipv6', reason: string): void {
  blockList.addSubnet(net, prefix, family);
  const one = new BlockList();
  one.addSubnet(net, prefix, family);
  reasons.push({ list: one, reason });
}

/**
 * Why a connection to this IP address is refused, or undefined when it may be used.
 * Anything that is not a plain IPv4/IPv6 address is refused: only resolved addresses reach here.
 */
export function blockedAddressReason(address: string): string | undefined {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 0) return `"${address}" is not an IP address`;
  if (family === 6 && IPV4_MAPPED.test(new URL(`http://[${bare}]`).hostname)) {
    return 'IPv4-mapped IPv6 (::ffff:0:0/96)';
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (!blockList.check(bare, type)) return undefined;
  return reasons.find((r) => r.list.check(bare, type))?.reason ?? 'a special-purpose range';
}
