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

export interface Renter {
  readonly address: string
  /** A signed JSON request to the daemon: its status and parsed JSON body. */
  readonly api: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: unknown }>
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
  return {
    address,
    api: async (method, path, body) => {
      const text = body === undefined ? '' : JSON.stringify(body)
      const signature = await signRequest(signer, { audience, method, path, body: text })
      const headers: Record<string, string> = {
        [SIGNATURE_HEADERS.requestor]: signature.signer,
        [SIGNATURE_HEADERS.signature]: signature.signature,
        [SIGNATURE_HEADERS.timestamp]: String(signature.timestamp),
        [SIGNATURE_HEADERS.nonce]: signature.nonce,
      }
      if (text !== '') headers['content-type'] = 'application/json'
      const res = await fetch(`${daemon.baseUrl}${path}`, { method, headers, ...(text === '' ? {} : { body: text }), signal: AbortSignal.timeout(120_000) })
      return { status: res.status, body: await res.json() }
    },
  }
}
