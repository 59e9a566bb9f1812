/**
 * Advertisements as a real discovery service returns them: with the
 * provider's signed post (`proof`), made here with the provider's key, so
 * the renter's own verification can pass or, after a test alters a field, fail.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import { ADVERTISEMENTS_PATH, DISCOVERY_AUDIENCE, SIGNATURE_SCHEME, canonicalMessage, type AdvertisementFromAnyServer } from '@golem-vm/protocol'
import { addressOfPrivateKey, signMessage } from '@golem-vm/protocol/eth'

// Keys the discovery service adds; the rest is the body the provider posted.
const SERVICE_KEYS = new Set(['provider_id', 'created_at', 'updated_at', 'signed', 'proof'])

/** `ad` with a proof signed by `privateKey` over exactly its advertised fields, at `now`. */
export function withProof(ad: AdvertisementFromAnyServer, privateKey: string, now = Date.now()): AdvertisementFromAnyServer {
  const providerId = addressOfPrivateKey(privateKey)
  const fields = Object.fromEntries(Object.entries(ad).filter(([key]) => !SERVICE_KEYS.has(key)))
  if (fields.provider_name === providerId) delete fields.provider_name
  const body = JSON.stringify(fields)
  const nonce = randomBytes(16).toString('hex')
  const message = canonicalMessage({ audience: DISCOVERY_AUDIENCE, method: 'POST', path: ADVERTISEMENTS_PATH, body, signer: providerId, timestamp: now, nonce })
  return {
    ...ad,
    provider_id: providerId,
    signed: true,
    proof: { scheme: SIGNATURE_SCHEME, path: ADVERTISEMENTS_PATH, body, timestamp: now, nonce, signature: signMessage(privateKey, message) },
  }
}
