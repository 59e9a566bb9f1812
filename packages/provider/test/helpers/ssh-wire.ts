/**
 * The clear-text start of an SSH connection (RFC 4253), byte for byte, for
 * tests of the proxy's handshake rules without a real client or server.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'

export const SSH_MSG = { KEXINIT: 20, NEWKEYS: 21, KEX_ECDH_INIT: 30, KEX_ECDH_REPLY: 31 } as const

/** One clear-text binary packet: length, padding length, type and a random body, random padding. */
export function sshPacket(type: number, bodyBytes: number): Buffer {
  const payload = Buffer.concat([Buffer.from([type]), randomBytes(bodyBytes)])
  const padding = 4 + ((8 - ((5 + payload.length + 4) % 8)) % 8)
  const header = Buffer.alloc(5)
  header.writeUInt32BE(1 + payload.length + padding, 0)
  header.writeUInt8(padding, 4)
  return Buffer.concat([header, payload, randomBytes(padding)])
}

/** A side's start up to (not including) its NEWKEYS: identification line, KEXINIT, its half of an ECDH exchange. */
export function sshStartBeforeNewkeys(side: 'client' | 'server'): Buffer {
  const ident = side === 'client' ? 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n' : 'SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n'
  const exchange = side === 'client' ? sshPacket(SSH_MSG.KEX_ECDH_INIT, 36) : sshPacket(SSH_MSG.KEX_ECDH_REPLY, 300)
  return Buffer.concat([Buffer.from(ident), sshPacket(SSH_MSG.KEXINIT, 1000), exchange])
}

/** A side's whole clear-text start: everything it sends before encryption begins. */
export function sshStart(side: 'client' | 'server'): Buffer {
  return Buffer.concat([sshStartBeforeNewkeys(side), sshPacket(SSH_MSG.NEWKEYS, 0)])
}
