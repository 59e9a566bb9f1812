/**
 * Test keys: OpenSSH public keys made with Node's own key generator, and real
 * key pairs written by ssh-keygen for tests that log in with `ssh`.
 *
 * @module
 */
import { execFileSync } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

const field = (b: Buffer) => {
  const len = Buffer.alloc(4)
  len.writeUInt32BE(b.length)
  return Buffer.concat([len, b])
}

/** A fresh ed25519 public key line (no private key kept). */
export function ed25519Key(): string {
  const raw = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32)
  return `ssh-ed25519 ${Buffer.concat([field(Buffer.from('ssh-ed25519')), field(raw)]).toString('base64')}`
}

/** A real ed25519 key pair in `dir`, made by ssh-keygen: `{ privateKeyPath, publicKey }`. */
export function sshKeyPair(dir: string, name = 'id_ed25519'): { privateKeyPath: string; publicKey: string } {
  const privateKeyPath = join(dir, name)
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'golem-test', '-f', privateKeyPath])
  return { privateKeyPath, publicKey: readFileSync(`${privateKeyPath}.pub`, 'utf8').trim() }
}
