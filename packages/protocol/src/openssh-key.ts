/**
 * Ed25519 keys in OpenSSH's own formats, made with Node's crypto: the
 * unencrypted `openssh-key-v1` private key file that `ssh -i` reads, and the
 * `ssh-ed25519 AAAA… comment` public key line. No `ssh-keygen` is needed.
 *
 * @module
 */
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto'

const KEY_TYPE = 'ssh-ed25519'
const MAGIC = Buffer.from('openssh-key-v1\0', 'latin1')
const PEM_BEGIN = '-----BEGIN OPENSSH PRIVATE KEY-----'
const PEM_END = '-----END OPENSSH PRIVATE KEY-----'

/** A key pair: the OpenSSH private key file text and the public key line. */
export interface OpenSshKeyPair {
  readonly privateKey: string
  readonly publicKey: string
}

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n)
  return b
}
const sshString = (data: Buffer | string): Buffer => {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
  return Buffer.concat([u32(bytes.length), bytes])
}

/** The SSH wire encoding of an ed25519 public key. */
const publicBlob = (pub: Buffer): Buffer => Buffer.concat([sshString(KEY_TYPE), sshString(pub)])

// The private section: check ints, key, comment, then padding 1, 2, 3… to a multiple of 8.
function privateSection(seed: Buffer, pub: Buffer, comment: string): Buffer {
  const check = randomBytes(4)
  const body = Buffer.concat([check, check, sshString(KEY_TYPE), sshString(pub), sshString(Buffer.concat([seed, pub])), sshString(comment)])
  const padLength = (8 - (body.length % 8)) % 8
  return Buffer.concat([body, Buffer.from(Array.from({ length: padLength }, (_, i) => i + 1))])
}

/** Wraps bytes at 70 base64 characters per line, as ssh-keygen does. */
const armor = (data: Buffer): string => `${PEM_BEGIN}\n${(data.toString('base64').match(/.{1,70}/g) ?? []).join('\n')}\n${PEM_END}\n`

/** Makes a new ed25519 key pair; `comment` ends the public key line and is stored in the private key. */
export function generateEd25519KeyPair(comment: string): OpenSshKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const jwk = privateKey.export({ format: 'jwk' })
  const seed = Buffer.from(jwk.d ?? '', 'base64url')
  const pub = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url')
  const blob = publicBlob(pub)
  const file = Buffer.concat([
    MAGIC,
    sshString('none'),
    sshString('none'),
    sshString(''),
    u32(1),
    sshString(blob),
    sshString(privateSection(seed, pub, comment)),
  ])
  return { privateKey: armor(file), publicKey: `${KEY_TYPE} ${blob.toString('base64')} ${comment}`.trimEnd() }
}

// Reads the length-prefixed fields of the SSH wire encoding, one after another.
class Cursor {
  #offset: number
  constructor(
    private readonly data: Buffer,
    offset: number,
  ) {
    this.#offset = offset
  }

  u32(): number | undefined {
    if (this.#offset + 4 > this.data.length) return undefined
    const value = this.data.readUInt32BE(this.#offset)
    this.#offset += 4
    return value
  }

  string(): Buffer | undefined {
    const length = this.u32()
    if (length === undefined || this.#offset + length > this.data.length) return undefined
    const value = this.data.subarray(this.#offset, this.#offset + length)
    this.#offset += length
    return value
  }
}

/**
 * The public key line (`ssh-ed25519 AAAA…`, without comment) of an unencrypted
 * OpenSSH ed25519 private key file; undefined when the text is not one.
 */
export function publicKeyOfPrivate(text: string): string | undefined {
  const match = new RegExp(`${PEM_BEGIN}\\s+([A-Za-z0-9+/=\\s]+?)\\s+${PEM_END}`).exec(text)
  if (match?.[1] === undefined) return undefined
  const data = Buffer.from(match[1].replace(/\s+/g, ''), 'base64')
  if (!data.subarray(0, MAGIC.length).equals(MAGIC)) return undefined
  const cursor = new Cursor(data, MAGIC.length)
  const cipher = cursor.string()
  cursor.string() // kdf name
  cursor.string() // kdf options
  const count = cursor.u32()
  const blob = cursor.string()
  if (cipher?.toString('latin1') !== 'none' || count !== 1 || blob === undefined) return undefined
  if (new Cursor(blob, 0).string()?.toString('latin1') !== KEY_TYPE) return undefined
  return `${KEY_TYPE} ${blob.toString('base64')}`
}

/** The fingerprint of a public key line as `ssh-keygen -l` prints it: `SHA256:<base64 without padding>`. */
export function fingerprint(publicKeyLine: string): string {
  const data = publicKeyLine.trim().split(/\s+/)[1] ?? ''
  return `SHA256:${createHash('sha256').update(Buffer.from(data, 'base64')).digest('base64').replace(/=+$/, '')}`
}
