/**
 * Who is calling: the operator (admin token), a renter (a signed request,
 * whose recovered address becomes the VM's owner), or — only when the
 * operator allows the original's unsigned requests — an anonymous renter.
 *
 * @module
 */
import type { FastifyRequest } from 'fastify'
import { NonceCache, SIGNATURE_HEADERS, verifyRequest } from '@golem-vm/protocol'
import type { Caller } from '../app/vm-service.js'
import { ProviderError } from '../domain/errors.js'
import { tokenMatches } from '../infra/admin/admin-token.js'

export interface AuthOptions {
  /** The provider's address: signatures must be made for this provider. */
  readonly audience: () => string
  readonly adminToken: string
  readonly allowUnsigned: boolean
  readonly now?: () => number
}

const header = (req: FastifyRequest, name: string): string | undefined => {
  const value = req.headers[name]
  return Array.isArray(value) ? value[0] : value
}

/** Builds the function that authenticates a request; it throws UNAUTHORIZED with the reason. */
export function createAuthenticator(opts: AuthOptions): (req: FastifyRequest) => Caller {
  const nonces = new NonceCache()
  const now = opts.now ?? Date.now
  return (req) => {
    const authorization = header(req, 'authorization')
    if (authorization !== undefined) {
      const token = /^Bearer (\S+)$/.exec(authorization)?.[1]
      if (token !== undefined && tokenMatches(token, opts.adminToken)) return { kind: 'operator' }
      throw new ProviderError('UNAUTHORIZED', 'the admin token is wrong; the operator finds it in the provider data dir (admin-token)')
    }
    const signature = header(req, SIGNATURE_HEADERS.signature)
    if (signature === undefined && opts.allowUnsigned) return { kind: 'renter', address: null }
    const result = verifyRequest({
      audience: opts.audience(),
      method: req.method,
      path: req.url,
      body: req.rawBody ?? '',
      claimedSigner: header(req, SIGNATURE_HEADERS.requestor),
      signature,
      timestamp: header(req, SIGNATURE_HEADERS.timestamp),
      nonce: header(req, SIGNATURE_HEADERS.nonce),
    }, nonces, now())
    if (!result.ok) throw new ProviderError('UNAUTHORIZED', `${result.reason}: ${result.message}`)
    return { kind: 'renter', address: result.signer }
  }
}
