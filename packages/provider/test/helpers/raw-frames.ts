/**
 * Hand-made frames for tests that must send what a well-behaved stack never
 * would (a SYN to 127.0.0.1 through a gateway, as a hostile VM could).
 *
 * @module
 */

const mac = (text: string) => Buffer.from(text.split(':').map((h) => Number.parseInt(h, 16)))
const ipv4 = (text: string) => Buffer.from(text.split('.').map(Number))

// The Internet checksum: ones' complement of the ones' complement sum of 16-bit words.
function checksum(data: Buffer): number {
  let sum = 0
  for (let i = 0; i < data.length; i += 2) sum += (data[i] ?? 0) * 256 + (data[i + 1] ?? 0)
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16)
  return ~sum & 0xffff
}

/** An Ethernet frame carrying an IPv4 TCP SYN, with correct checksums. */
export function tcpSyn(f: { srcMac: string; dstMac: string; src: string; dst: string; srcPort: number; dstPort: number }): Buffer {
  const tcp = Buffer.alloc(20)
  tcp.writeUInt16BE(f.srcPort, 0)
  tcp.writeUInt16BE(f.dstPort, 2)
  tcp.writeUInt32BE(0x1234_5678, 4) // sequence number
  tcp.writeUInt8(5 << 4, 12) // header length: 5 words
  tcp.writeUInt8(0x02, 13) // SYN
  tcp.writeUInt16BE(64_240, 14) // window
  const pseudo = Buffer.concat([ipv4(f.src), ipv4(f.dst), Buffer.from([0, 6, 0, tcp.length])])
  tcp.writeUInt16BE(checksum(Buffer.concat([pseudo, tcp])), 16)
  const ip = Buffer.alloc(20)
  ip.writeUInt8(0x45, 0) // version 4, header 5 words
  ip.writeUInt16BE(ip.length + tcp.length, 2)
  ip.writeUInt16BE(0x4000, 6) // don't fragment
  ip.writeUInt8(64, 8) // TTL
  ip.writeUInt8(6, 9) // TCP
  ipv4(f.src).copy(ip, 12)
  ipv4(f.dst).copy(ip, 16)
  ip.writeUInt16BE(checksum(ip), 10)
  return Buffer.concat([mac(f.dstMac), mac(f.srcMac), Buffer.from([0x08, 0x00]), ip, tcp])
}
