/**
 * Authentication of writes. Every POST and DELETE must be signed by the
 * provider it claims to be (see `@golem-vm/protocol` signing.ts, audience
 * "discovery"): the address recovered from `X-Provider-Signature` over the
 * method, path with query, SHA-256 of the exact body bytes, timestamp and
 * nonce must equal `X-Provider-ID`; the timestamp must be fresh and the
 * nonce new. With `allowUnsigned`, the original's unsigned requests (no
 * timestamp, no nonce, any signature text) are let through as `signed: false`.
 *
 * @module
 */
import type { FastifyRequest, onRequestHookHandler, preValidationHookHandler } from 'fastify'
import { DISCOVERY_AUDIENCE, SIGNATURE_HEADERS, verifyRequest, type NonceCache, type VerifyFailure } from '@golem-vm/protocol'
import type { Poster } from '../app/advertisement-service.js'
import { normaliseProviderId } from '../domain/advertisement.js'
import { DiscoveryError, type ErrorCode } from '../domain/errors.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated provider, set by the auth hook on writes. */
    poster?: Poster
  }
}

/** What the auth hook needs; `now` is epoch ms. */
export interface AuthOptions {
  readonly allowUnsigned: boolean
  readonly maxSkewMs: number
  readonly nonces: NonceCache
  readonly now: () => number
}

/** The parts of a request authentication reads. */
export interface AuthRequest {
  readonly method: string
  readonly url: string
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
  readonly rawBody?: Buffer | undefined
}

const FAILURE_CODES: Readonly<Record<VerifyFailure, ErrorCode>> = {
  MISSING_SIGNATURE: 'AUTH_003',
  MALFORMED_SIGNATURE: 'AUTH_006',
  STALE_SIGNATURE: 'AUTH_002',
  BAD_SIGNATURE: 'AUTH_001',
  REPLAYED_SIGNATURE: 'AUTH_005',
}

const SIGNATURE_FORMAT = /^0x[0-9a-fA-F]{130}$/

const header = (req: Pick<AuthRequest, 'headers'>, name: string): string | undefined => {
  const value = req.headers[name]
  return typeof value === 'string' && value !== '' ? value : undefined
}

// The original's providers send `X-Provider-Signature: signature` and no timestamp or nonce.
const isUnsignedLegacy = (signature: string, timestamp: string | undefined, nonce: string | undefined): boolean =>
  timestamp === undefined && nonce === undefined && !SIGNATURE_FORMAT.test(signature)

// Accepts an unsigned request in the transition mode; the store keeps providers that ever signed signed-only.
function legacyPoster(claimed: string, options: AuthOptions): Poster {
  if (!options.allowUnsigned) {
    throw new DiscoveryError(
      'AUTH_008',
      'Unsigned requests are not accepted: sign the request with the provider key (X-Provider-Signature over the canonical message, X-Golem-Timestamp, X-Golem-Nonce); upgrade the provider',
    )
  }
  const providerId = normaliseProviderId(claimed)
  if (providerId === undefined) throw new DiscoveryError('AUTH_006', 'X-Provider-ID must be an Ethereum address: 0x and 40 hex digits')
  return { providerId, proof: { signed: false }, post: null }
}

// The headers of a signed write, or of the original's unsigned one.
interface Credentials {
  readonly claimed: string
  readonly signature: string
  readonly timestamp: string | undefined
  readonly nonce: string | undefined
}

function credentials(req: Pick<AuthRequest, 'headers'>): Credentials {
  const claimed = header(req, SIGNATURE_HEADERS.providerId)
  const signature = header(req, SIGNATURE_HEADERS.providerSignature)
  if (claimed === undefined || signature === undefined) {
    throw new DiscoveryError('AUTH_003', 'Missing provider credentials: send X-Provider-ID, X-Provider-Signature, X-Golem-Timestamp and X-Golem-Nonce')
  }
  return { claimed, signature, timestamp: header(req, SIGNATURE_HEADERS.timestamp), nonce: header(req, SIGNATURE_HEADERS.nonce) }
}

const TIMESTAMP = /^\d{1,15}$/
const NONCE = /^[0-9a-f]{16,64}$/

/**
 * Everything that can be checked from the headers alone, before the body is
 * read: credentials present and well-formed, the timestamp fresh, the nonce
 * not seen by this instance, unsigned requests allowed. A request refused
 * here never has its body read (and its connection is closed).
 */
export function preAuthenticate(req: Pick<AuthRequest, 'headers'>, options: AuthOptions): void {
  const c = credentials(req)
  if (isUnsignedLegacy(c.signature, c.timestamp, c.nonce)) {
    legacyPoster(c.claimed, options)
    return
  }
  const id = normaliseProviderId(c.claimed)
  if (id === undefined) throw new DiscoveryError('AUTH_006', 'X-Provider-ID must be an Ethereum address: 0x and 40 hex digits')
  if (c.timestamp === undefined || c.nonce === undefined) {
    throw new DiscoveryError('AUTH_003', 'Missing provider credentials: send X-Provider-ID, X-Provider-Signature, X-Golem-Timestamp and X-Golem-Nonce')
  }
  if (!SIGNATURE_FORMAT.test(c.signature) || !TIMESTAMP.test(c.timestamp) || !NONCE.test(c.nonce)) {
    throw new DiscoveryError('AUTH_006', 'Signature refused: signature must be 65 bytes hex, timestamp epoch milliseconds, nonce 16-64 hex digits')
  }
  const now = options.now()
  if (Math.abs(now - Number(c.timestamp)) > options.maxSkewMs) {
    throw new DiscoveryError('AUTH_002', `Signature refused: the signature timestamp is more than ${options.maxSkewMs / 1000} s away from this server's clock`)
  }
  if (options.nonces.has(`${id}:${c.nonce}`, now)) {
    throw new DiscoveryError('AUTH_005', 'Signature refused: this signed request was already used; sign each request anew')
  }
}

/**
 * Authenticates a write or throws the matching AUTH_00x error. The provider id
 * is compared case-insensitively and returned checksummed.
 */
export function authenticate(req: AuthRequest, options: AuthOptions): Poster {
  const { claimed, signature, timestamp, nonce } = credentials(req)
  if (isUnsignedLegacy(signature, timestamp, nonce)) return legacyPoster(claimed, options)
  if (normaliseProviderId(claimed) === undefined) throw new DiscoveryError('AUTH_006', 'X-Provider-ID must be an Ethereum address: 0x and 40 hex digits')
  const input = {
    audience: DISCOVERY_AUDIENCE,
    method: req.method,
    path: req.url,
    body: req.rawBody ?? '',
    claimedSigner: claimed.toLowerCase(),
    signature,
    timestamp,
    nonce,
  }
  const now = options.now()
  const result = verifyRequest(input, options.nonces, now, options.maxSkewMs)
  if (!result.ok) throw new DiscoveryError(FAILURE_CODES[result.reason], `Signature refused: ${result.message}`)
  const signedAt = Number(timestamp)
  return {
    providerId: result.signer,
    proof: { signed: true, signedAt, nonce: nonce ?? '' },
    post: { path: req.url, timestamp: signedAt, nonce: nonce ?? '', signature },
  }
}

/** A hook that refuses, from the headers alone, a write that cannot be authentic, before its body is read. */
export function preAuthHook(options: AuthOptions): onRequestHookHandler {
  return (request, reply, done) => {
    try {
      preAuthenticate(request, options)
      done()
    } catch (error) {
      void reply.header('connection', 'close') // the body was not read: do not reuse the connection
      done(error as Error)
    }
  }
}

/**
 * A hook that authenticates the request once its body has arrived, before
 * the body is validated, and records the poster on it. `cheapChecks` runs
 * first on the parsed body (e.g. the advertised address against the sender),
 * so a request refused by them costs no signature recovery.
 */
export function authHook(options: AuthOptions, cheapChecks: (request: FastifyRequest) => void = () => undefined): preValidationHookHandler {
  return (request, _reply, done) => {
    try {
      cheapChecks(request)
      request.poster = authenticate(request, options)
      done()
    } catch (error) {
      done(error as Error)
    }
  }
}

/** The poster set by {@link authHook}; a route without the hook is a programming error. */
export function posterOf(request: FastifyRequest): Poster {
  if (request.poster === undefined) throw new DiscoveryError('SERVER_001', 'Internal error: the route is not authenticated')
  return request.poster
}
