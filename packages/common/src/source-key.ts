/**
 * The key under which per-source limits count a peer address: one IPv4
 * address, or one IPv6 /64 (a single subscriber usually holds a whole /64,
 * so counting single IPv6 addresses would let one host take 2^64 shares).
 *
 * @module
 */
import { isIPv4, isIPv6 } from 'node:net'

// The eight 16-bit groups of an IPv6 address (the dotted tail of `::ffff:1.2.3.4` counts as two).
function ipv6Groups(text: string): number[] | undefined {
  const [head = '', tail, ...rest] = text.split('::')
  if (rest.length > 0) return undefined
  const parse = (part: string): number[] => {
    if (part === '') return []
    return part.split(':').flatMap((group) => {
      if (!group.includes('.')) return [Number.parseInt(group, 16)]
      const [a = 0, b = 0, c = 0, d = 0] = group.split('.').map(Number)
      return [(a << 8) | b, (c << 8) | d]
    })
  }
  const left = parse(head)
  const right = tail === undefined ? [] : parse(tail)
  const missing = 8 - left.length - right.length
  if (tail === undefined ? missing !== 0 : missing < 0) return undefined
  return [...left, ...Array<number>(Math.max(0, missing)).fill(0), ...right]
}

/**
 * `203.0.113.7` → `203.0.113.7`; `2001:db8:1:2:3:4:5:6` → `2001:db8:1:2::/64`;
 * an IPv4-mapped IPv6 address (`::ffff:203.0.113.7`) counts as its IPv4
 * address. Anything else (a unix socket, an unparsable text) is its own key.
 */
export function sourceKey(address: string | undefined): string {
  if (address === undefined) return 'unknown'
  if (isIPv4(address)) return address
  const bare = address.replace(/%.*$/, '')
  if (!isIPv6(bare)) return address
  const groups = ipv6Groups(bare.toLowerCase())
  if (groups === undefined) return address
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [high = 0, low = 0] = groups.slice(6)
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`
  }
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`
}
