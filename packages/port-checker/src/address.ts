/**
 * IP address text in one canonical form, so that the address a request comes
 * from and the address it asks about compare equal exactly when they are the
 * same host address.
 *
 * @module
 */
import { isIPv4, isIPv6 } from 'node:net'

const MAPPED_IPV4 = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/

// The WHATWG URL parser writes IPv6 in RFC 5952 form (lower case, longest zero run compressed).
const compressIpv6 = (text: string): string => new URL(`http://[${text}]/`).hostname.slice(1, -1)

const hexPairToIpv4 = (high: string, low: string): string => {
  const h = Number.parseInt(high, 16)
  const l = Number.parseInt(low, 16)
  return `${h >> 8}.${h & 255}.${l >> 8}.${l & 255}`
}

/**
 * The canonical text of an IP address: IPv4 in dotted decimal as given,
 * IPv6 lower-case and compressed, and an IPv4-mapped IPv6 address
 * (`::ffff:1.2.3.4`) as the IPv4 address it maps. `undefined` when `text` is
 * not an IP literal (a hostname, a zone-scoped IPv6 address, a bracketed form).
 */
export function canonicalIp(text: string): string | undefined {
  if (isIPv4(text)) return text
  if (!isIPv6(text) || text.includes('%')) return undefined
  const compressed = compressIpv6(text)
  const mapped = MAPPED_IPV4.exec(compressed)
  return mapped?.[1] !== undefined && mapped[2] !== undefined ? hexPairToIpv4(mapped[1], mapped[2]) : compressed
}
