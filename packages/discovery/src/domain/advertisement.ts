/**
 * Advertisements as the service keeps them, and the pure conversions between
 * the wire and the record: provider ids become EIP-55 checksummed addresses,
 * countries upper-case, IPv6 addresses lower-case, times epoch milliseconds.
 *
 * @module
 */
import { getAddress } from '@golem-vm/protocol/eth'
import { SIGNATURE_SCHEME, type Advertisement, type AdvertisementBody, type OfferPricing } from '@golem-vm/protocol'

/** The provider's signed post behind an advertisement, kept so that renters can verify it themselves. */
export interface SignedPost {
  /** Path the request was signed for. */
  readonly path: string
  /** The exact body bytes, as UTF-8 text. */
  readonly body: string
  /** Signing time, epoch ms. */
  readonly timestamp: number
  readonly nonce: string
  readonly signature: string
}

/** One stored advertisement. Times are epoch milliseconds; `createdAt <= updatedAt` always. */
export interface AdvertisementRecord {
  readonly providerId: string
  readonly ipAddress: string
  readonly country: string
  /** Every posted resource: cpu, memory and storage first (always present), then the others in the posted order. */
  readonly resources: Readonly<Record<string, number>>
  readonly providerName: string | null
  readonly version: string | null
  readonly arch: string | null
  readonly apiPort: number | null
  readonly sshPortsFree: number | null
  /** What renting costs; null for a free provider. */
  readonly pricing: OfferPricing | null
  /** Whether the provider isolates its VMs; null when it did not say. */
  readonly isolated: boolean | null
  /** False only for an unsigned post accepted in the transition mode. */
  readonly signed: boolean
  /** The signed post (null for an unsigned one). */
  readonly proof: SignedPost | null
  readonly createdAt: number
  readonly updatedAt: number
}

/** What a post asks to store; the store adds the times. */
export type AdvertisementInput = Omit<AdvertisementRecord, 'createdAt' | 'updatedAt'>

const ADDRESS = /^0x[0-9a-fA-F]{40}$/

/**
 * The checksummed form of a provider id given in any letter case, or
 * undefined when the text is not a 0x-prefixed 20-byte hex address.
 */
export function normaliseProviderId(text: string): string | undefined {
  return ADDRESS.test(text) ? getAddress(text.toLowerCase()) : undefined
}

/** Builds the record to store from a validated body and the authenticated provider. */
export function toAdvertisementInput(body: AdvertisementBody, providerId: string, proof: SignedPost | null): AdvertisementInput {
  return {
    providerId,
    ipAddress: body.ip_address.toLowerCase(),
    country: body.country.toUpperCase(),
    resources: { ...body.resources },
    providerName: body.provider_name ?? null,
    version: body.version ?? null,
    arch: body.arch ?? null,
    apiPort: body.api_port ?? null,
    sshPortsFree: body.ssh_ports_free ?? null,
    pricing: body.pricing ?? null,
    isolated: body.isolated ?? null,
    signed: proof !== null,
    proof,
  }
}

/**
 * The wire form: the original's keys in its order, then `provider_name`
 * (the provider id when none was posted), `signed`, and the optional
 * additions that were posted. Hot path of every listing: no intermediate objects.
 */
export function toWire(record: AdvertisementRecord): Advertisement {
  const wire: Advertisement = {
    provider_id: record.providerId,
    ip_address: record.ipAddress,
    country: record.country,
    resources: record.resources,
    created_at: new Date(record.createdAt).toISOString(),
    updated_at: new Date(record.updatedAt).toISOString(),
    provider_name: record.providerName ?? record.providerId,
    signed: record.signed,
  }
  if (record.version !== null) wire.version = record.version
  if (record.arch !== null) wire.arch = record.arch
  if (record.apiPort !== null) wire.api_port = record.apiPort
  if (record.sshPortsFree !== null) wire.ssh_ports_free = record.sshPortsFree
  if (record.pricing !== null) wire.pricing = record.pricing
  if (record.isolated !== null) wire.isolated = record.isolated
  if (record.proof !== null) wire.proof = { scheme: SIGNATURE_SCHEME, ...record.proof }
  return wire
}
