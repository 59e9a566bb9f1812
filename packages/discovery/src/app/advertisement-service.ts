/**
 * The discovery use cases: publish, list, get and remove advertisements.
 * Callers arrive authenticated (see `http/auth.ts`); this layer applies the
 * address and ownership rules and turns store refusals and failures into
 * catalogued errors.
 *
 * @module
 */
import { DEFAULT_PAGE_SIZE, type AdvertisementBody, type AdvertisementQuery } from '@golem-vm/protocol'
import { checkAdvertisedAddress, type AddressPolicy } from '../domain/address-policy.js'
import { normaliseProviderId, toAdvertisementInput, type AdvertisementRecord, type SignedPost } from '../domain/advertisement.js'
import { DiscoveryError, StoreUnavailableError, type ErrorCode } from '../domain/errors.js'
import { decodeCursor, encodeCursor, toFilter } from '../domain/filter.js'
import type { AdvertisementStore, WriteProof, WriteRefusal } from './ports/advertisement-store.js'

/** The authenticated provider behind a write: its checksummed address, how it proved it, and the signed request. */
export interface Poster {
  readonly providerId: string
  readonly proof: WriteProof
  /** The signed request itself (null for an unsigned one), kept with the advertisement for renters. */
  readonly post: Omit<SignedPost, 'body'> | null
}

/** One page of a listing and the cursor of the next one, if more match. */
export interface ListingPage {
  readonly records: AdvertisementRecord[]
  readonly next: string | undefined
}

const iso = (ms: number): string => new Date(ms).toISOString()

// Explains a refused write in terms the provider's operator can act on.
function refusalError(refusal: WriteRefusal, poster: Poster, lastSignedAt: number | null, maxPerAddress: number): DiscoveryError {
  if (refusal === 'SIGNED_ONLY') {
    return new DiscoveryError(
      'AUTH_007',
      `provider ${poster.providerId} has signed its requests before, so unsigned ones are refused for it; sign the request (X-Provider-Signature, X-Golem-Timestamp, X-Golem-Nonce)`,
    )
  }
  if (refusal === 'REPLAYED') {
    return new DiscoveryError('AUTH_005', 'Signature refused: this signed request was already used; sign each request anew')
  }
  if (refusal === 'ADDRESS_FULL') {
    return new DiscoveryError(
      'ADV_011',
      `${maxPerAddress} other providers already advertise this address (the limit per address); withdraw one of them, or wait until its advertisement expires`,
    )
  }
  const signedAt = poster.proof.signed ? iso(poster.proof.signedAt) : 'unknown'
  const newest = lastSignedAt === null ? 'unknown' : iso(lastSignedAt)
  return new DiscoveryError(
    'AUTH_002',
    `this request was signed at ${signedAt}, not after the newest accepted request of provider ${poster.providerId} (${newest}); it is outdated or replayed, sign a new one`,
  )
}

// Runs a store call, turning an unreachable database into a 503 and any other failure into a catalogued server error.
async function guarded<T>(code: ErrorCode, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    if (error instanceof StoreUnavailableError) {
      throw new DiscoveryError('SERVER_002', `Failed to ${what}: the database does not answer; try again in a few seconds`, [], { cause: error })
    }
    throw new DiscoveryError(code, `Failed to ${what}: the advertisement store failed; try again later`, [], { cause: error })
  }
}

/** Settings of the use cases. */
export interface ServiceRules {
  readonly address: AddressPolicy
  /** For the ADV_011 message; the store enforces it. */
  readonly maxProvidersPerAddress: number
}

/** The advertisement use cases over a store and a clock (epoch ms). */
export class AdvertisementService {
  constructor(
    private readonly store: AdvertisementStore,
    private readonly rules: ServiceRules,
    private readonly now: () => number = Date.now,
  ) {}

  /** Throws ADV_009/ADV_010 when `ip` may not be advertised by a post from `source`. Cheap: callers run it before verifying signatures. */
  checkAddress(ip: string, source: string): void {
    checkAdvertisedAddress(ip, source, this.rules.address)
  }

  /**
   * Creates or replaces the poster's advertisement posted from `source` with
   * the exact `rawBody`; throws ADV_009/ADV_010/ADV_011 or AUTH_002/005/007
   * when refused, SERVER_002 while the database does not answer.
   */
  async publish(body: AdvertisementBody, rawBody: string, poster: Poster, source: string): Promise<AdvertisementRecord> {
    this.checkAddress(body.ip_address, source)
    const post = poster.post === null ? null : { ...poster.post, body: rawBody }
    const input = toAdvertisementInput(body, poster.providerId, post)
    const outcome = await guarded('ADV_001', 'create advertisement', () => this.store.upsert(input, poster.proof, this.now()))
    if (!outcome.ok) throw refusalError(outcome.refusal, poster, outcome.lastSignedAt, this.rules.maxProvidersPerAddress)
    return outcome.record
  }

  /** One page of fresh advertisements matching the query; throws ADV_002 for a resource minimum below 1. */
  async list(query: AdvertisementQuery): Promise<ListingPage> {
    const filter = toFilter(query)
    const page = {
      limit: query.limit === undefined ? DEFAULT_PAGE_SIZE : Number(query.limit),
      after: query.after === undefined ? undefined : decodeCursor(query.after),
    }
    const found = await guarded('ADV_003', 'list advertisements', () => this.store.list(filter, page, this.now()))
    return { records: found.records, next: found.next === undefined ? undefined : encodeCursor(found.next) }
  }

  /** The provider's fresh advertisement; throws ADV_004 when there is none (or the id is not an address). */
  async get(providerIdText: string): Promise<AdvertisementRecord> {
    const providerId = normaliseProviderId(providerIdText)
    const record = providerId === undefined ? undefined : await guarded('ADV_003', 'read advertisement', () => this.store.get(providerId, this.now()))
    if (record === undefined) throw new DiscoveryError('ADV_004', 'Advertisement not found: no fresh advertisement from this provider')
    return record
  }

  /** Deletes the poster's own advertisement; throws AUTH_004 for another provider's, ADV_004 when there is none. */
  async remove(providerIdText: string, poster: Poster): Promise<void> {
    if (normaliseProviderId(providerIdText) !== poster.providerId) {
      throw new DiscoveryError('AUTH_004', `Not authorized to delete this advertisement: provider ${poster.providerId} may delete only its own`)
    }
    const outcome = await guarded('ADV_001', 'delete advertisement', () => this.store.delete(poster.providerId, poster.proof))
    if (!outcome.ok) throw refusalError(outcome.refusal, poster, outcome.lastSignedAt, this.rules.maxProvidersPerAddress)
    if (!outcome.deleted) throw new DiscoveryError('ADV_004', 'Advertisement not found: this provider has no advertisement to delete')
  }

  /** True when the database answers. */
  async healthy(): Promise<boolean> {
    return this.store.ping().then(
      () => true,
      () => false,
    )
  }
}
