/**
 * Signed HTTP requests, shared by every party of the network.
 *
 * A request is signed with an Ethereum key (EIP-191 `personal_sign`) over a
 * canonical message binding the audience, method, path with query, the
 * SHA-256 of the exact body bytes, a timestamp and a random nonce. Verifiers
 * recover the signer's address, check it against the claimed id, reject stale
 * timestamps, and remember nonces for the freshness window so that a captured
 * request cannot be replayed or altered.
 *
 * @module
 */
import { createHash, randomBytes } from 'node:crypto'
import { getAddress, isAddress, recoverMessageSigner } from './eth.js'

export const SIGNATURE_SCHEME = 'golem-vm-request/1'
/** How far a signed request's timestamp may be from the verifier's clock. */
export const DEFAULT_MAX_SKEW_MS = 120_000

/** Header names. The provider-id/signature pair keeps the original discovery names. */
export const SIGNATURE_HEADERS = {
  providerId: 'x-provider-id',
  providerSignature: 'x-provider-signature',
  requestor: 'x-golem-requestor',
  signature: 'x-golem-signature',
  timestamp: 'x-golem-timestamp',
  nonce: 'x-golem-nonce',
} as const

export interface SignedRequestFields {
  /** Who the request is for: the provider's address, or "discovery". */
  readonly audience: string
  readonly method: string
  /** Path with query string, exactly as sent. */
  readonly path: string
  readonly body: Uint8Array | string
  readonly signer: string
  /** Milliseconds since the epoch. */
  readonly timestamp: number
  readonly nonce: string
}

export const sha256Hex = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex')

/** The exact text that is signed; one field per line, so no field can bleed into another. */
export function canonicalMessage(f: SignedRequestFields): string {
  return [
    SIGNATURE_SCHEME,
    `audience: ${f.audience.toLowerCase()}`,
    `method: ${f.method.toUpperCase()}`,
    `path: ${f.path}`,
    `body-sha256: ${sha256Hex(f.body)}`,
    `signer: ${f.signer.toLowerCase()}`,
    `timestamp: ${f.timestamp}`,
    `nonce: ${f.nonce}`,
  ].join('\n')
}

/**
 * What signing a request needs of a key: its address and an EIP-191
 * `personal_sign`. An ethers `Signer` is one; so is a signer that does the
 * work on another thread (the provider's).
 */
export interface RequestSigner {
  getAddress(): Promise<string>
  signMessage(message: string): Promise<string>
}

export interface RequestSignature {
  readonly signer: string
  readonly signature: string
  readonly timestamp: number
  readonly nonce: string
}

/** Signs a request; `now` and `nonce` are injectable for tests. */
export async function signRequest(
  signer: RequestSigner,
  req: { audience: string; method: string; path: string; body: Uint8Array | string },
  now: number = Date.now(),
  nonce: string = randomBytes(16).toString('hex'),
): Promise<RequestSignature> {
  const address = await signer.getAddress()
  const message = canonicalMessage({ ...req, signer: address, timestamp: now, nonce })
  return { signer: address, signature: await signer.signMessage(message), timestamp: now, nonce }
}

export type VerifyFailure = 'MISSING_SIGNATURE' | 'MALFORMED_SIGNATURE' | 'STALE_SIGNATURE' | 'BAD_SIGNATURE' | 'REPLAYED_SIGNATURE'

/** Why a signed request was refused. */
export interface VerifyRefusal {
  ok: false
  reason: VerifyFailure
  message: string
}
export type VerifyResult = { ok: true; signer: string } | VerifyRefusal

const fail = (reason: VerifyFailure, message: string): VerifyRefusal => ({ ok: false, reason, message })

/**
 * Remembers nonces for the freshness window. Bounded: entries older than the
 * window are dropped, and a full cache refuses new nonces rather than grow.
 */
/**
 * Where a verifier remembers the nonces it accepted, for the freshness
 * window: in memory ({@link NonceCache}) or persisted, so that a restart
 * does not reopen the window to replays.
 */
export interface NonceRegistry {
  /** Records the nonce; false if it was already used (a replay) or the registry is full. */
  remember(key: string, now: number): boolean
  /** True when the nonce was already used within the window (does not record it). */
  has(key: string, now: number): boolean
}

/**
 * Remembers nonces for the freshness window, in memory. Bounded: entries older
 * than the window are dropped, and a full cache refuses new nonces rather than grow.
 */
export class NonceCache implements NonceRegistry {
  readonly #seen = new Map<string, number>()
  constructor(
    private readonly windowMs: number = 2 * DEFAULT_MAX_SKEW_MS,
    private readonly maxEntries = 200_000,
  ) {}

  /** Records the nonce; false if it was already used (a replay) or the cache is full. */
  remember(key: string, now: number): boolean {
    this.#evict(now)
    if (this.#seen.has(key) || this.#seen.size >= this.maxEntries) return false
    this.#seen.set(key, now)
    return true
  }

  /** True when the nonce was already used within the window (does not record it). */
  has(key: string, now: number): boolean {
    this.#evict(now)
    return this.#seen.has(key)
  }

  #evict(now: number): void {
    for (const [key, at] of this.#seen) {
      if (now - at <= this.windowMs) break // insertion order = time order
      this.#seen.delete(key)
    }
  }
}

export interface VerifyInput {
  readonly audience: string
  readonly method: string
  readonly path: string
  readonly body: Uint8Array | string
  readonly claimedSigner: string | undefined
  readonly signature: string | undefined
  readonly timestamp: string | undefined
  readonly nonce: string | undefined
}

/**
 * What can be checked from the headers alone, before the body is read:
 * every header present and well-formed, the timestamp fresh, the nonce not
 * used by this signer. Undefined when nothing is wrong so far; the signature
 * itself is checked by {@link verifyRequest} once the body is there.
 */
export function precheckRequest(
  input: Omit<VerifyInput, 'body' | 'audience' | 'method' | 'path'>,
  nonces: NonceRegistry,
  now: number = Date.now(),
  maxSkewMs: number = DEFAULT_MAX_SKEW_MS,
): VerifyRefusal | undefined {
  const { claimedSigner, signature, timestamp, nonce } = input
  if (!claimedSigner || !signature || !timestamp || !nonce) {
    return fail('MISSING_SIGNATURE', 'the request must carry signer, signature, timestamp and nonce headers')
  }
  if (!isAddress(claimedSigner) || !/^0x[0-9a-fA-F]{130}$/.test(signature) || !/^\d{1,15}$/.test(timestamp) || !/^[0-9a-f]{16,64}$/.test(nonce)) {
    return fail('MALFORMED_SIGNATURE', 'signer must be an Ethereum address, signature 65 bytes hex, timestamp epoch milliseconds, nonce 16-64 hex digits')
  }
  if (Math.abs(now - Number(timestamp)) > maxSkewMs) {
    return fail('STALE_SIGNATURE', `the signature timestamp is more than ${maxSkewMs / 1000} s away from this server's clock`)
  }
  if (nonces.has(`${getAddress(claimedSigner)}:${nonce}`, now)) {
    return fail('REPLAYED_SIGNATURE', 'this signed request was already used; sign each request anew')
  }
  return undefined
}

/** Checks a signed request: well-formed, fresh, signed by the claimed address, never seen before. */
export function verifyRequest(input: VerifyInput, nonces: NonceRegistry, now: number = Date.now(), maxSkewMs: number = DEFAULT_MAX_SKEW_MS): VerifyResult {
  const refused = precheckRequest(input, nonces, now, maxSkewMs)
  if (refused !== undefined) return refused
  const { message, signature } = signedMessage(input)
  let recovered: string
  try {
    recovered = recoverMessageSigner(message, signature)
  } catch {
    return fail('BAD_SIGNATURE', 'the signature cannot be recovered')
  }
  return acceptSigner(input, recovered, nonces, now)
}

/**
 * {@link verifyRequest} with the signer's recovery (the costly part: about
 * 2 ms of CPU) done by `recover`, e.g. on another thread. The nonce is
 * recorded once the signature checked out, so of two concurrent uses of one
 * nonce only the first is accepted.
 */
export async function verifyRequestWith(
  input: VerifyInput,
  nonces: NonceRegistry,
  recover: (message: string, signature: string) => Promise<string>,
  now: number = Date.now(),
  maxSkewMs: number = DEFAULT_MAX_SKEW_MS,
): Promise<VerifyResult> {
  const refused = precheckRequest(input, nonces, now, maxSkewMs)
  if (refused !== undefined) return refused
  const { message, signature } = signedMessage(input)
  let recovered: string
  try {
    recovered = await recover(message, signature)
  } catch {
    return fail('BAD_SIGNATURE', 'the signature cannot be recovered')
  }
  return acceptSigner(input, recovered, nonces, now)
}

// The canonical message of a request precheckRequest accepted (every field present and well-formed).
function signedMessage(input: VerifyInput): { message: string; signature: string } {
  const message = canonicalMessage({ ...input, signer: input.claimedSigner ?? '', timestamp: Number(input.timestamp), nonce: input.nonce ?? '' })
  return { message, signature: input.signature ?? '' }
}

// The recovered signer must be the claimed one, and the nonce new.
function acceptSigner(input: VerifyInput, recovered: string, nonces: NonceRegistry, now: number): VerifyResult {
  if (recovered !== getAddress(input.claimedSigner ?? '')) {
    return fail('BAD_SIGNATURE', 'the signature does not match the signer and the request')
  }
  if (!nonces.remember(`${recovered}:${input.nonce ?? ''}`, now)) {
    return fail('REPLAYED_SIGNATURE', 'this signed request was already used; sign each request anew')
  }
  return { ok: true, signer: recovered }
}
