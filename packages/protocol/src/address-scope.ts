/**
 * What kind of address an IP address is, for the rule that a public network
 * only advertises and follows public addresses: an advertisement for
 * 127.0.0.1, 10.0.0.5 or 169.254.169.254 would point renters at their own
 * machine, their own network or a cloud metadata service.
 *
 * @module
 */
import { BlockList, isIP } from 'node:net'

/** The scope of an address; everything but `public` is refused in production. */
export type AddressScope = 'public' | 'loopback' | 'private' | 'link-local' | 'multicast' | 'shared' | 'reserved'

// Ranges by scope (IANA special-purpose registries). `shared` is the carrier-grade NAT range.
const RANGES: readonly [AddressScope, 'ipv4' | 'ipv6', string, number][] = [
  ['loopback', 'ipv4', '127.0.0.0', 8],
  ['loopback', 'ipv6', '::1', 128],
  ['private', 'ipv4', '10.0.0.0', 8],
  ['private', 'ipv4', '172.16.0.0', 12],
  ['private', 'ipv4', '192.168.0.0', 16],
  ['private', 'ipv6', 'fc00::', 7],
  ['link-local', 'ipv4', '169.254.0.0', 16],
  ['link-local', 'ipv6', 'fe80::', 10],
  ['multicast', 'ipv4', '224.0.0.0', 4],
  ['multicast', 'ipv6', 'ff00::', 8],
  ['shared', 'ipv4', '100.64.0.0', 10],
  ['reserved', 'ipv4', '0.0.0.0', 8],
  ['reserved', 'ipv4', '240.0.0.0', 4],
  ['reserved', 'ipv4', '192.0.0.0', 24],
  ['reserved', 'ipv6', '::', 128],
]

const LISTS = new Map<AddressScope, BlockList>()
for (const [scope, type, network, prefix] of RANGES) {
  const list = LISTS.get(scope) ?? new BlockList()
  list.addSubnet(network, prefix, type)
  LISTS.set(scope, list)
}

/** The scope of `ip` (IPv4, IPv6, or IPv4-mapped IPv6); throws for text that is not an IP address. */
export function addressScope(ip: string): AddressScope {
  const family = isIP(ip)
  if (family === 0) throw new Error(`not an IP address: ${ip}`)
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)
  const [address, type] = mapped !== null ? [mapped[1] ?? '', 'ipv4' as const] : [ip, family === 4 ? ('ipv4' as const) : ('ipv6' as const)]
  for (const [scope, list] of LISTS) if (list.check(address, type)) return scope
  return 'public'
}
