/**
 * IPv4 addresses and networks as the VM network needs them: parse and check
 * (ipaddr.js), contain, overlap, and the n-th address of a network.
 *
 * @module
 */
import ipaddr from 'ipaddr.js'

/** An IPv4 network: its first address and prefix length (`10.1.2.0`, 24). */
export interface Ipv4Cidr {
  readonly network: string
  readonly prefixLength: number
}

const toInt = (address: string): number =>
  ipaddr.IPv4.parse(address)
    .toByteArray()
    .reduce((n, b) => n * 256 + b, 0)
const fromInt = (n: number): string => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.')
const size = (c: Ipv4Cidr): number => 2 ** (32 - c.prefixLength)

/** True for a dotted-quad IPv4 address (four decimal parts, nothing else). */
export const isIpv4 = (text: string): boolean => ipaddr.IPv4.isValidFourPartDecimal(text)

/**
 * Parses `a.b.c.d/n` (or a bare address, as /32). The network address is
 * normalised (`10.1.2.3/24` → `10.1.2.0/24`). Returns a sentence on error.
 */
export function parseIpv4Cidr(text: string): Ipv4Cidr | string {
  const [address = '', prefix, extra] = text.trim().split('/')
  if (extra !== undefined || !isIpv4(address)) return `"${text}" is not an IPv4 address or network (such as 10.20.30.0/24)`
  const prefixLength = prefix === undefined ? 32 : Number(prefix)
  if (!/^\d{1,2}$/.test(prefix ?? '32') || prefixLength > 32) return `"${text}" has no valid prefix length (0 to 32)`
  const block = size({ network: address, prefixLength })
  return { network: fromInt(Math.floor(toInt(address) / block) * block), prefixLength }
}

/** `10.1.2.0/24` */
export const cidrText = (c: Ipv4Cidr): string => `${c.network}/${c.prefixLength}`

/** True when `address` lies in `c`. */
export const cidrContains = (c: Ipv4Cidr, address: string): boolean => {
  const n = toInt(address)
  const start = toInt(c.network)
  return n >= start && n < start + size(c)
}

/** True when the two networks share any address. */
export const cidrsOverlap = (a: Ipv4Cidr, b: Ipv4Cidr): boolean => cidrContains(a, b.network) || cidrContains(b, a.network)

/** The address `index` places after the network address (0 is the network itself). */
export function nthAddress(c: Ipv4Cidr, index: number): string {
  if (!Number.isInteger(index) || index < 0 || index >= size(c)) throw new RangeError(`${cidrText(c)} has no address number ${index}`)
  return fromInt(toInt(c.network) + index)
}

/** The position of `address` in `c` (the inverse of `nthAddress`). */
export function addressIndex(c: Ipv4Cidr, address: string): number {
  if (!cidrContains(c, address)) throw new RangeError(`${address} is not in ${cidrText(c)}`)
  return toInt(address) - toInt(c.network)
}

/** How many addresses the network spans, network and broadcast addresses included. */
export const cidrSize = size
