/**
 * Who is calling: the operator (admin token), a renter (a signed request,
 * whose recovered address becomes the VM's owner), or — only when the
 * operator allows the original's unsigned requests — an anonymous renter.
 *
 * Checked in two steps: from the headers alone before the body is read
 * (`checkHeaders`: token, signature headers well-formed and fresh, nonce
 * new), so a request that cannot be authentic never gets to send its body;
 * then the signature over the exact body (`authenticate`).
 *
 * @module
 */
import type { FastifyRequest } from 'fastify'
import { NonceCache, SIGNATURE_HEADERS, precheckRequest, verifyRequestWith, type NonceRegistry } from '@golem-vm/protocol'
import { recoverMessageSigner } from '@golem-vm/protocol/eth'
import { sourceKey } from '@golem-vm/common'
import type { Caller } from '../app/vm-service.js'
import { ProviderError } from '../domain/errors.js'
import { tokenMatches } from '../infra/admin/admin-token.js'

export interface AuthOptions {
  /** The provider's address: signatures must be made for this provider. */
  readonly audience: () => string
  readonly adminToken: string
  readonly allowUnsigned: boolean
  /** Where accepted nonces are remembered (persisted by the daemon, so a restart does not reopen replays); in memory by default. */
  readonly nonces?: NonceRegistry
  /** Recovers a signature's signer (about 2 ms of CPU); the daemon does it on the background thread. In process by default. */
  readonly recover?: (message: string, signature: string) => Promise<string>
  /** Signature checks in flight at once per address (IPv6: /64); more are refused with RATE_LIMITED. */
  readonly maxVerificationsPerAddress?: number
  readonly now?: () => number
}

/** Default of {@link AuthOptions.maxVerificationsPerAddress}. */
export const MAX_VERIFICATIONS_PER_ADDRESS = 8

/** The two steps of authentication; each throws UNAUTHORIZED with the reason. */
export interface Authenticator {
  /** Refuses, from the headers alone, a request that cannot be authentic; runs before the body is read. */
  readonly checkHeaders: (req: FastifyRequest) => void
  /** Identifies the caller once the body is there. */
  readonly authenticate: (req: FastifyRequest) => Promise<Caller>
}

const header = (req: FastifyRequest, name: string): string | undefined => {
  const value = req.headers[name]
  return Array.isArray(value) ? value[0] : value
}

const signatureHeaders = (req: FastifyRequest) => ({
  claimedSigner: header(req, SIGNATURE_HEADERS.requestor),
  signature: header(req, SIGNATURE_HEADERS.signature),
  timestamp: header(req, SIGNATURE_HEADERS.timestamp),
  nonce: header(req, SIGNATURE_HEADERS.nonce),
})

/** Builds the authenticator of the VM routes. */
export function createAuthenticator(opts: AuthOptions): Authenticator {
  const nonces = opts.nonces ?? new NonceCache()
  const now = opts.now ?? Date.now
  const recover = opts.recover ?? ((message: string, signature: string) => Promise.resolve(recoverMessageSigner(message, signature)))
  const inFlight = new Map<string, number>()
  const maxInFlight = opts.maxVerificationsPerAddress ?? MAX_VERIFICATIONS_PER_ADDRESS
  // The operator, an allowed unsigned renter, or undefined: a signed request still to check.
  const unsignedCaller = (req: FastifyRequest): Caller | undefined => {
    const authorization = header(req, 'authorization')
    if (authorization !== undefined) {
      const token = /^Bearer (\S+)$/.exec(authorization)?.[1]
      if (token !== undefined && tokenMatches(token, opts.adminToken)) return { kind: 'operator' }
      throw new ProviderError('UNAUTHORIZED', 'the admin token is wrong; the operator finds it in the provider data dir (admin-token)')
    }
    if (header(req, SIGNATURE_HEADERS.signature) === undefined && opts.allowUnsigned) return { kind: 'renter', address: null }
    return undefined
  }
  return {
    checkHeaders: (req) => {
      if (unsignedCaller(req) !== undefined) return
      const refused = precheckRequest(signatureHeaders(req), nonces, now())
      if (refused !== undefined) throw new ProviderError('UNAUTHORIZED', `${refused.reason}: ${refused.message}`)
    },
    authenticate: async (req) => {
      const caller = unsignedCaller(req)
      if (caller !== undefined) return caller
      // One address cannot queue unbounded signature work: its checks in flight are capped.
      const source = sourceKey(req.socket.remoteAddress)
      const running = inFlight.get(source) ?? 0
      if (running >= maxInFlight)
        throw new ProviderError(
          'RATE_LIMITED',
          `too many signed requests from this address are being checked at once (at most ${maxInFlight}); retry in a moment`,
        )
      inFlight.set(source, running + 1)
      try {
        const input = { audience: opts.audience(), method: req.method, path: req.url, body: req.rawBody ?? '', ...signatureHeaders(req) }
        const result = await verifyRequestWith(input, nonces, recover, now())
        if (!result.ok) throw new ProviderError('UNAUTHORIZED', `${result.reason}: ${result.message}`)
        return { kind: 'renter', address: result.signer }
      } finally {
        const left = (inFlight.get(source) ?? 1) - 1
        if (left === 0) inFlight.delete(source)
        else inFlight.set(source, left)
      }
    },
  }
}

/**
 * For the operator's own routes (metrics, dashboard): only the admin token
 * passes; a renter's signature, an unsigned request or a wrong token is
 * UNAUTHORIZED with a message that says where the token is.
 */
export function operatorOnly(authenticate: (req: FastifyRequest) => Promise<Caller>, what: string): (req: FastifyRequest) => Promise<void> {
  return async (req) => {
    if (header(req, 'authorization') !== undefined && (await authenticate(req)).kind === 'operator') return
    throw new ProviderError(
      'UNAUTHORIZED',
      `${what} need the admin token: send Authorization: Bearer <token>; the operator finds it in the provider data dir (admin-token)`,
    )
  }
}
