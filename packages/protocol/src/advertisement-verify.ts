/**
 * A renter's own check of an advertisement: the discovery service is not
 * trusted. Every signed advertisement carries the provider's signed post
 * (`proof`); the check recovers the signer from the canonical message of that
 * post and compares it with `provider_id`, then compares every advertised
 * field with the signed body. A discovery service that changes an address, a
 * price or a resource figure, or attaches another provider's proof, fails it.
 *
 * @module
 */
import { ADVERTISEMENTS_PATH, AdvertisementBody, DISCOVERY_AUDIENCE, type AdvertisementFromAnyServer } from './discovery.js'
import { getAddress, isAddress, recoverMessageSigner } from './eth.js'
import { SIGNATURE_SCHEME, canonicalMessage } from './signing.js'

/** How old a signed post may be before a renter stops believing it is current (the provider re-posts every few minutes). */
export const DEFAULT_MAX_ADVERTISEMENT_AGE_MS = 60 * 60_000
/** How far in the future a signing time may be (clock skew between provider and renter). */
const MAX_FUTURE_MS = 5 * 60_000

/** The outcome: verified, unsigned (no proof at all), or a proof that does not hold, with why. */
export type AdvertisementVerdict = { readonly ok: true } | { readonly ok: false; readonly kind: 'unsigned' | 'invalid'; readonly reason: string }

// Keys the discovery service adds; every other key of an advertisement must come from the signed body.
const SERVICE_KEYS = new Set(['provider_id', 'created_at', 'updated_at', 'signed', 'proof'])

const show = (value: unknown): string => (value === undefined ? 'absent' : JSON.stringify(value))

const invalid = (reason: string): AdvertisementVerdict => ({ ok: false, kind: 'invalid', reason })

// Deep equality of JSON values (objects compared by key set, not key order).
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  const ka = Object.keys(a)
  const kb = Object.keys(b)
  if (ka.length !== kb.length) return false
  return ka.every((k) => Object.hasOwn(b, k) && sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
}

// What the service must show for a signed body: its keys, the address lower-case, the country upper-case,
// and provider_name defaulting to the provider id.
function expectedFields(body: AdvertisementBody, providerId: string): Record<string, unknown> {
  return { ...body, ip_address: body.ip_address.toLowerCase(), country: body.country.toUpperCase(), provider_name: body.provider_name ?? providerId }
}

/**
 * Verifies one advertisement as received from any discovery service.
 * `now` (epoch ms) and `maxAgeMs` bound how old the signed post may be.
 */
export function verifyAdvertisement(
  ad: AdvertisementFromAnyServer,
  now: number = Date.now(),
  maxAgeMs: number = DEFAULT_MAX_ADVERTISEMENT_AGE_MS,
): AdvertisementVerdict {
  const proof = ad.proof
  if (proof === undefined) return { ok: false, kind: 'unsigned', reason: 'it carries no signed proof from the provider' }
  if (proof.scheme !== SIGNATURE_SCHEME) return invalid(`its proof uses the unknown scheme "${proof.scheme}"`)
  if (!isAddress(ad.provider_id)) return invalid('its provider_id is not an Ethereum address')
  if (proof.path !== ADVERTISEMENTS_PATH) return invalid(`its proof was signed for ${proof.path}, not ${ADVERTISEMENTS_PATH}`)
  if (!Number.isSafeInteger(proof.timestamp) || !/^[0-9a-f]{16,64}$/.test(proof.nonce)) return invalid('its proof has a malformed timestamp or nonce')
  let signer: string
  try {
    const message = canonicalMessage({
      audience: DISCOVERY_AUDIENCE,
      method: 'POST',
      path: proof.path,
      body: proof.body,
      signer: ad.provider_id,
      timestamp: proof.timestamp,
      nonce: proof.nonce,
    })
    signer = recoverMessageSigner(message, proof.signature)
  } catch (error) {
    return invalid(`its signature cannot be read (${(error as Error).message})`)
  }
  if (signer !== getAddress(ad.provider_id)) return invalid(`its signature was made by ${signer}, not by the advertised provider`)
  let body: AdvertisementBody
  try {
    const parsed = AdvertisementBody.safeParse(JSON.parse(proof.body))
    if (!parsed.success) return invalid('the signed body is not a valid advertisement')
    body = parsed.data
  } catch {
    return invalid('the signed body is not JSON')
  }
  const expected = expectedFields(body, signer)
  const shown = Object.fromEntries(Object.entries(ad).filter(([key]) => !SERVICE_KEYS.has(key)))
  if (shown.provider_name === undefined) delete expected.provider_name // a name left out hides nothing
  for (const key of new Set([...Object.keys(expected), ...Object.keys(shown)])) {
    if (!sameJson(shown[key], expected[key])) {
      return invalid(`its ${key} (${show(shown[key])}) differs from what the provider signed (${show(expected[key])})`)
    }
  }
  if (now - proof.timestamp > maxAgeMs)
    return invalid(`it was signed ${Math.round((now - proof.timestamp) / 60_000)} minutes ago; a live provider re-posts every few minutes`)
  if (proof.timestamp - now > MAX_FUTURE_MS) return invalid("it was signed in the future (check this computer's clock)")
  return { ok: true }
}
