/**
 * A renter as the production provider expects one: every `/api/v1/vms…`
 * request signed with the renter's Ethereum key for this provider
 * (`golem-vm-request/1`, the requestor CLI's scheme).
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import { SIGNATURE_HEADERS, signRequest } from '@golem-vm/protocol'
import { addressOfPrivateKey, signMessage } from '@golem-vm/protocol/eth'
import type { Daemon } from './daemon.js'

/** A signed request as it goes over the wire: what an eavesdropper can capture and send again. */
export interface SignedRequest {
  readonly method: string
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

export interface Renter {
  readonly address: string
  /** A signed JSON request to the daemon: its status and parsed JSON body. */
  readonly api: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: unknown }>
  /** Signs a request without sending it. */
  readonly sign: (method: string, path: string, body?: unknown) => Promise<SignedRequest>
}

/** Sends a signed request exactly as it was signed (again, for a replay): its status and parsed JSON body. */
export async function send(daemon: Daemon, req: SignedRequest): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${daemon.baseUrl}${req.path}`, {
    method: req.method,
    headers: req.headers,
    ...(req.body === '' ? {} : { body: req.body }),
    signal: AbortSignal.timeout(120_000),
  })
  return { status: res.status, body: await res.json() }
}

/** The provider id the daemon logged at start. */
export function providerIdOf(daemon: Daemon): string {
  const entry = daemon.logs.find((l) => l.msg === 'provider identity')
  if (typeof entry?.providerId !== 'string') throw new Error('the daemon did not log its provider identity')
  return entry.providerId
}

/** A renter with a fresh key, talking to `daemon`. */
export function renter(daemon: Daemon, privateKey = `0x${randomBytes(32).toString('hex')}`): Renter {
  const address = addressOfPrivateKey(privateKey)
  const signer = { getAddress: async () => address, signMessage: async (message: string) => signMessage(privateKey, message) }
  const audience = providerIdOf(daemon)
  const sign = async (method: string, path: string, body?: unknown): Promise<SignedRequest> => {
    const text = body === undefined ? '' : JSON.stringify(body)
    const signature = await signRequest(signer, { audience, method, path, body: text })
    const headers: Record<string, string> = {
      [SIGNATURE_HEADERS.requestor]: signature.signer,
      [SIGNATURE_HEADERS.signature]: signature.signature,
      [SIGNATURE_HEADERS.timestamp]: String(signature.timestamp),
      [SIGNATURE_HEADERS.nonce]: signature.nonce,
    }
    if (text !== '') headers['content-type'] = 'application/json'
    return { method, path, headers, body: text }
  }
  return {
    address,
    sign,
    api: async (method, path, body) => send(daemon, await sign(method, path, body)),
  }
}
