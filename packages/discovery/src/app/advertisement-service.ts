/**
 * The discovery use cases: publish, list, get and remove advertisements.
 * Callers arrive authenticated (see `http/auth.ts`); this layer applies the
 * ownership rules and turns store refusals and failures into catalogued errors.
 *
 * @module
 */
import type { AdvertisementBody, AdvertisementQuery } from '@golem-vm/protocol'
import { normaliseProviderId, toAdvertisementInput, type AdvertisementRecord } from '../domain/advertisement.js'
import { DiscoveryError, type ErrorCode } from '../domain/errors.js'
import { toFilter } from '../domain/filter.js'
import type { AdvertisementStore, WriteProof, WriteRefusal } from './ports/advertisement-store.js'

/** The authenticated provider behind a write: its checksummed address and how it proved it. */
export interface Poster {
  readonly providerId: string
  readonly proof: WriteProof
}

const iso = (ms: number): string => new Date(ms).toISOString()

// Explains a refused write in terms the provider's operator can act on.
function refusalError(refusal: WriteRefusal, poster: Poster, lastSignedAt: number | null): DiscoveryError {
  if (refusal === 'SIGNED_ONLY') {
    return new DiscoveryError(
      'AUTH_007',
      `provider ${poster.providerId} has signed its requests before, so unsigned ones are refused for it; sign the request (X-Provider-Signature, X-Golem-Timestamp, X-Golem-Nonce)`,
    )
  }
  if (refusal === 'REPLAYED') {
    return new DiscoveryError('AUTH_005', 'Signature refused: this signed request was already used; sign each request anew')
  }
  const signedAt = poster.proof.signed ? iso(poster.proof.signedAt) : 'unknown'
  const newest = lastSignedAt === null ? 'unknown' : iso(lastSignedAt)
  return new DiscoveryError(
    'AUTH_002',
    `this request was signed at ${signedAt}, before the newest accepted request of provider ${poster.providerId} (${newest}); it is outdated or replayed, sign a new one`,
  )
}

// Runs a store call, turning an unexpected failure into a catalogued server error.
function guarded<T>(code: ErrorCode, what: string, call: () => T): T {
  try {
    return call()
  } catch (error) {
    throw new DiscoveryError(code, `Failed to ${what}: the advertisement store failed; try again later`, [], { cause: error })
  }
}

/** The advertisement use cases over a store and a clock (epoch ms). */
export class AdvertisementService {
  constructor(
    private readonly store: AdvertisementStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** Creates or replaces the poster's advertisement; throws AUTH_002/AUTH_007 when the store refuses the write. */
  publish(body: AdvertisementBody, poster: Poster): AdvertisementRecord {
    const input = toAdvertisementInput(body, poster.providerId, poster.proof.signed)
    const outcome = guarded('ADV_001', 'create advertisement', () => this.store.upsert(input, poster.proof, this.now()))
    if (!outcome.ok) throw refusalError(outcome.refusal, poster, outcome.lastSignedAt)
    return outcome.record
  }

  /** Fresh advertisements matching the query; throws ADV_002 for a resource minimum below 1. */
  list(query: AdvertisementQuery): AdvertisementRecord[] {
    const filter = toFilter(query)
    return guarded('ADV_003', 'list advertisements', () => this.store.list(filter, this.now()))
  }

  /** The provider's fresh advertisement; throws ADV_004 when there is none (or the id is not an address). */
  get(providerIdText: string): AdvertisementRecord {
    const providerId = normaliseProviderId(providerIdText)
    const record = providerId === undefined ? undefined : guarded('ADV_003', 'read advertisement', () => this.store.get(providerId, this.now()))
    if (record === undefined) throw new DiscoveryError('ADV_004', 'Advertisement not found: no fresh advertisement from this provider')
    return record
  }

  /** Deletes the poster's own advertisement; throws AUTH_004 for another provider's, ADV_004 when there is none. */
  remove(providerIdText: string, poster: Poster): void {
    if (normaliseProviderId(providerIdText) !== poster.providerId) {
      throw new DiscoveryError('AUTH_004', `Not authorized to delete this advertisement: provider ${poster.providerId} may delete only its own`)
    }
    const outcome = guarded('ADV_001', 'delete advertisement', () => this.store.delete(poster.providerId, poster.proof))
    if (!outcome.ok) throw refusalError(outcome.refusal, poster, outcome.lastSignedAt)
    if (!outcome.deleted) throw new DiscoveryError('ADV_004', 'Advertisement not found: this provider has no advertisement to delete')
  }
}
