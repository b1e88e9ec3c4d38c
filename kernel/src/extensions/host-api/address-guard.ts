import ipaddr from 'ipaddr.js';

/** Verdict on one IP address as a destination of `http.fetch`. */
export interface AddressVerdict {
  /** Whether a request may connect to the address. */
  allowed: boolean;
  /** Description of the address for messages, e.g. `a loopback address`. */
  description: string;
}

/**
 * Cloud instance-metadata services, which hand out credentials of the machine. They stay
 * blocked even when the operator allows private networks.
 */
const METADATA_ADDRESSES = new Set([
  '169.254.169.254', // AWS, Google Cloud, Azure, OpenStack and others
  '169.254.170.2', // AWS ECS task metadata
  '100.100.100.200', // Alibaba Cloud
  'fd00:ec2::254', // AWS, over IPv6
]);

/** Ranges that are never a destination: they do not name one reachable host. */
const NEVER_ALLOWED = new Set(['unspecified', 'multicast', 'broadcast']);

const IPV4_DESCRIPTIONS: Record<string, string> = {
  unspecified: 'an unspecified address (0.0.0.0/8)',
  broadcast: 'the broadcast address',
  multicast: 'a multicast address (224.0.0.0/4)',
  linkLocal: 'a link-local address (169.254.0.0/16)',
  loopback: 'a loopback address (127.0.0.0/8)',
  carrierGradeNat: 'a carrier-grade NAT address (100.64.0.0/10)',
  private: 'a private address (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)',
  reserved: 'a reserved or documentation address',
};

const IPV6_DESCRIPTIONS: Record<string, string> = {
  unspecified: 'an unspecified address (::)',
  multicast: 'a multicast address (ff00::/8)',
  linkLocal: 'a link-local address (fe80::/10)',
  loopback: 'a loopback address (::1)',
  uniqueLocal: 'a unique local address (fc00::/7)',
  deprecatedSiteLocal: 'a site-local address (fec0::/10)',
  teredo: 'a Teredo tunnel address (2001::/32)',
  reserved: 'a reserved or documentation address',
  discard: 'a discard-only address (100::/64)',
};

/**
 * Decides whether `http.fetch` may connect to `address` (an IPv4 or IPv6 literal without
 * brackets). Only globally routable unicast addresses are allowed, judged by the ranges
 * of ipaddr.js 2.5. IPv6 forms that carry an IPv4 address (IPv4-mapped `::ffff:a.b.c.d`,
 * IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are judged by that
 * IPv4 address.
 *
 * With `allowPrivateNetwork`, loopback, private, link-local, carrier-grade NAT, unique local
 * and reserved addresses are allowed too. Metadata services, unspecified, multicast and
 * broadcast addresses are blocked either way.
 *
 * @example
 * checkAddress('10.0.0.1', { allowPrivateNetwork: false }); // { allowed: false, description: 'a private address (…)' }
 */
export function checkAddress(address: string, options: { allowPrivateNetwork: boolean }): AddressVerdict {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(address);
  } catch {
    return { allowed: false, description: 'not a valid IP address' };
  }

  const embedded = parsed.kind() === 'ipv6' ? embeddedIPv4(parsed as ipaddr.IPv6) : null;
  if (METADATA_ADDRESSES.has(parsed.toString()) || (embedded !== null && METADATA_ADDRESSES.has(embedded.toString()))) {
    return { allowed: false, description: 'a cloud metadata service address' };
  }

  const { range, description } = classify(parsed);
  if (range === 'unicast') return { allowed: true, description: 'a public address' };
  if (NEVER_ALLOWED.has(range)) return { allowed: false, description };
  return { allowed: options.allowPrivateNetwork, description };
}

/** Returns the IPv4 address that an IPv6 address carries, or null for forms that carry none. */
function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 | null {
  const parts = address.parts;
  const range = address.range();
  const lastTwo = (): ipaddr.IPv4 => new ipaddr.IPv4([parts[6]! >> 8, parts[6]! & 0xff, parts[7]! >> 8, parts[7]! & 0xff]);

  if (range === 'ipv4Mapped' || range === 'rfc6145') return lastTwo();
  // NAT64 well-known prefix 64:ff9b::/96 (RFC 6052); the local-use 64:ff9b:1::/48 is judged as reserved.
  if (parts[0] === 0x64 && parts[1] === 0xff9b && parts.slice(2, 6).every((part) => part === 0)) return lastTwo();
  if (range === '6to4') return new ipaddr.IPv4([parts[1]! >> 8, parts[1]! & 0xff, parts[2]! >> 8, parts[2]! & 0xff]);
  // IPv4-compatible ::a.b.c.d (deprecated by RFC 4291, still routed by some stacks); :: and ::1 are ranges of their own.
  if (parts.slice(0, 6).every((part) => part === 0) && range !== 'unspecified' && range !== 'loopback') return lastTwo();
  return null;
}

/** Returns the ipaddr.js range name, with IPv6 forms that carry an IPv4 address judged by it. */
function classify(address: ipaddr.IPv4 | ipaddr.IPv6): { range: string; description: string } {
  if (address.kind() === 'ipv4') {
    const range = (address as ipaddr.IPv4).range();
    return { range, description: IPV4_DESCRIPTIONS[range] ?? `a special-purpose address (${range})` };
  }

  const v6 = address as ipaddr.IPv6;
  const embedded = embeddedIPv4(v6);
  if (embedded !== null) {
    const inner = classify(embedded);
    return { range: inner.range, description: `${inner.description}, embedded in IPv6 ${v6.toString()}` };
  }

  const range = v6.range();
  if (range === 'rfc6052') return { range: 'reserved', description: 'a local-use NAT64 address (64:ff9b:1::/48)' };
  // Everything else under ::/8 is reserved by RFC 4291.
  if (range === 'unicast' && v6.parts[0]! < 0x100) return { range: 'reserved', description: 'a reserved address (::/8)' };
  return { range, description: IPV6_DESCRIPTIONS[range] ?? `a special-purpose address (${range})` };
}
