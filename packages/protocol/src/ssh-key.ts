/**
 * Parsing of OpenSSH public keys (`authorized_keys` format), so that a key
 * which could not log in, or which smuggles a second line into a file, is
 * refused at the API instead of failing silently inside the VM.
 *
 * @module
 */

/** The key types a renter may upload. DSA and short RSA keys are refused. */
export const ACCEPTED_SSH_KEY_TYPES = ['ssh-ed25519', 'ssh-rsa', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521'] as const

export type SshKeyType = (typeof ACCEPTED_SSH_KEY_TYPES)[number]

export const MIN_RSA_BITS = 2048

export interface ParsedSshKey {
  readonly type: SshKeyType
  /** Size of the key in bits (RSA modulus, curve size, or 256 for ed25519). */
  readonly bits: number
  /** `type base64` without the comment: what goes into authorized_keys. */
  readonly canonical: string
  readonly comment: string
}

export type SshKeyParseResult = { ok: true; key: ParsedSshKey } | { ok: false; reason: string }

const ECDSA_BITS: Record<string, number> = { nistp256: 256, nistp384: 384, nistp521: 521 }

// Reads the length-prefixed fields of the SSH wire encoding (RFC 4251 §5).
function readFields(blob: Buffer, count: number): Buffer[] | undefined {
  const fields: Buffer[] = []
  let offset = 0
  for (let i = 0; i < count; i++) {
    if (offset + 4 > blob.length) return undefined
    const len = blob.readUInt32BE(offset)
    offset += 4
    if (offset + len > blob.length) return undefined
    fields.push(blob.subarray(offset, offset + len))
    offset += len
  }
  return offset === blob.length ? fields : undefined
}

// Bit length of an SSH mpint, ignoring its sign-padding zero bytes.
function mpintBits(value: Buffer): number {
  let start = 0
  while (start < value.length && value[start] === 0) start++
  if (start === value.length) return 0
  const first = value[start] ?? 0
  return (value.length - start - 1) * 8 + (32 - Math.clz32(first))
}

function keyBits(type: SshKeyType, fields: Buffer[]): number | undefined {
  if (type === 'ssh-ed25519') return fields[1]?.length === 32 ? 256 : undefined
  if (type === 'ssh-rsa') return fields[2] === undefined ? undefined : mpintBits(fields[2])
  const curve = fields[1]?.toString('latin1') ?? ''
  return type.endsWith(curve) ? ECDSA_BITS[curve] : undefined
}

const FIELD_COUNT: Record<SshKeyType, number> = {
  'ssh-ed25519': 2,
  'ssh-rsa': 3,
  'ecdsa-sha2-nistp256': 3,
  'ecdsa-sha2-nistp384': 3,
  'ecdsa-sha2-nistp521': 3,
}

function isAccepted(type: string): type is SshKeyType {
  return (ACCEPTED_SSH_KEY_TYPES as readonly string[]).includes(type)
}

/** Parses one OpenSSH public key line and checks its type, encoding and size. */
export function parseSshPublicKey(text: string): SshKeyParseResult {
  if (/[\r\n\0]/.test(text)) return { ok: false, reason: 'must be a single line (no line breaks)' }
  const [type = '', data = '', ...rest] = text.trim().split(/[ \t]+/)
  const comment = rest.join(' ')
  if (!isAccepted(type)) {
    return { ok: false, reason: `key type must be one of ${ACCEPTED_SSH_KEY_TYPES.join(', ')}` }
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(data)) return { ok: false, reason: 'key data is not base64' }
  const blob = Buffer.from(data, 'base64')
  const fields = readFields(blob, FIELD_COUNT[type])
  if (fields?.[0]?.toString('latin1') !== type) {
    return { ok: false, reason: 'key data does not encode a key of the stated type' }
  }
  const bits = keyBits(type, fields)
  if (bits === undefined) return { ok: false, reason: 'key data is malformed' }
  if (type === 'ssh-rsa' && bits < MIN_RSA_BITS) {
    return { ok: false, reason: `RSA keys must have at least ${MIN_RSA_BITS} bits (this one has ${bits})` }
  }
  return { ok: true, key: { type, bits, canonical: `${type} ${data}`, comment } }
}
