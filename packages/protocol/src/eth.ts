/**
 * The Ethereum primitives the network needs: EIP-55 addresses, EIP-191
 * `personal_sign`, and recovering who signed a message. They are thin glue
 * over noble-curves and noble-hashes, the audited secp256k1 and Keccak
 * implementations that ethers itself runs on. ethers offers the same four
 * functions, but loading it costs every process that checks one signature
 * about 0.2 s and 14 MiB (measured: bench/RESULTS.md); key files in keystore
 * format still use ethers, loaded only when one is met. Outputs are
 * byte-for-byte those of ethers (eth.test.ts checks them against it).
 *
 * @module
 */
import { secp256k1 } from '@noble/curves/secp256k1'
import { keccak_256 } from '@noble/hashes/sha3'
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils'

const HEX_ADDRESS = /^0x[0-9a-fA-F]{40}$/
const HEX_PRIVATE_KEY = /^0x[0-9a-fA-F]{64}$/
const HEX_SIGNATURE = /^0x[0-9a-fA-F]{130}$/

/** The address in EIP-55 mixed-case checksum form. Throws unless `address` is 0x and 40 hex digits. */
export function toChecksumAddress(address: string): string {
  if (!HEX_ADDRESS.test(address)) throw new Error(`not an Ethereum address (0x and 40 hex digits): ${address}`)
  const lower = address.slice(2).toLowerCase()
  const hash = bytesToHex(keccak_256(utf8ToBytes(lower)))
  let out = '0x'
  for (let i = 0; i < 40; i++) out += Number.parseInt(hash[i] ?? '0', 16) >= 8 ? (lower[i] ?? '').toUpperCase() : (lower[i] ?? '')
  return out
}

/**
 * True for 0x and 40 hex digits whose case is either uniform or the EIP-55
 * checksum (a mixed-case address with a wrong checksum is a typo, not an address).
 */
export function isAddress(value: string): boolean {
  if (!HEX_ADDRESS.test(value)) return false
  const digits = value.slice(2)
  return digits === digits.toLowerCase() || digits === digits.toUpperCase() || toChecksumAddress(value) === value
}

/** The EIP-55 form of a valid address; throws for anything {@link isAddress} refuses. */
export function getAddress(value: string): string {
  if (!isAddress(value)) throw new Error(`not a valid Ethereum address (bad length, characters or checksum): ${value}`)
  return toChecksumAddress(value)
}

/** The EIP-191 digest `personal_sign` signs: Keccak-256 of "\x19Ethereum Signed Message:\n" + length + message. */
export function hashMessage(message: string | Uint8Array): Uint8Array {
  const bytes = typeof message === 'string' ? utf8ToBytes(message) : message
  return keccak_256(concatBytes(utf8ToBytes(`\x19Ethereum Signed Message:\n${bytes.length}`), bytes))
}

// The address of an uncompressed public key (65 bytes, 0x04 first): the last 20 bytes of its Keccak-256.
const addressOfPublicKey = (uncompressed: Uint8Array): string => toChecksumAddress(`0x${bytesToHex(keccak_256(uncompressed.subarray(1)).subarray(-20))}`)

function privateKeyBytes(privateKey: string): Uint8Array {
  const bytes = HEX_PRIVATE_KEY.test(privateKey) ? hexToBytes(privateKey.slice(2)) : undefined
  if (bytes === undefined || !secp256k1.utils.isValidSecretKey(bytes)) throw new Error('not a secp256k1 private key (0x and 64 hex digits, in range)')
  return bytes
}

/** The address of a private key (0x and 64 hex digits); throws for a key outside the curve's range. */
export function addressOfPrivateKey(privateKey: string): string {
  return addressOfPublicKey(secp256k1.getPublicKey(privateKeyBytes(privateKey), false))
}

/** EIP-191 `personal_sign`: 65 bytes r ‖ s ‖ v as 0x-hex, s low (EIP-2), v 27 or 28; deterministic (RFC 6979). */
export function signMessage(privateKey: string, message: string | Uint8Array): string {
  const signature = secp256k1.sign(hashMessage(message), privateKeyBytes(privateKey), { lowS: true, prehash: false })
  return `0x${bytesToHex(signature.toBytes('compact'))}${(27 + signature.recovery).toString(16)}`
}

/**
 * The address whose key made `signature` (65 bytes hex, v 27/28 or 0/1) over
 * `message`. Throws for a malformed signature, a high s (a malleated copy of
 * another signature), or one from which no key can be recovered.
 */
export function recoverMessageSigner(message: string | Uint8Array, signature: string): string {
  if (!HEX_SIGNATURE.test(signature)) throw new Error('a signature is 65 bytes: 0x and 130 hex digits')
  const v = Number.parseInt(signature.slice(130, 132), 16)
  const recovery = v >= 27 ? v - 27 : v
  if (recovery !== 0 && recovery !== 1) throw new Error(`the signature's v must be 27 or 28 (or 0 or 1), not ${v}`)
  const parsed = secp256k1.Signature.fromBytes(hexToBytes(signature.slice(2, 130)), 'compact')
  if (parsed.hasHighS()) throw new Error('the signature is not canonical (high s)')
  // noble-curves 1.x types recovery only on the signature; its standalone successor is 2.x, which needs Node 20.19.
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  const publicKey = parsed.addRecoveryBit(recovery).recoverPublicKey(hashMessage(message))
  return addressOfPublicKey(publicKey.toBytes(false))
}
