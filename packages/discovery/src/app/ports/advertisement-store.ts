/**
 * The port advertisements are kept through. The service depends on this
 * interface only; `infra/sqlite-store.ts` (one process, the default) and
 * `infra/postgres-store.ts` (any number of instances on one database)
 * implement it, and one contract test suite runs against both.
 *
 * @module
 */
import type { AdvertisementInput, AdvertisementRecord } from '../../domain/advertisement.js'
import type { AdvertisementFilter } from '../../domain/filter.js'

/**
 * How a write was authorised. A signed write carries the signature's own
 * timestamp (epoch ms) and nonce: a provider's signed writes are accepted
 * only in strictly increasing (timestamp, nonce) order, which the store
 * checks atomically, so a captured request is refused by every instance and
 * after every restart.
 */
export type WriteProof = { readonly signed: true; readonly signedAt: number; readonly nonce: string } | { readonly signed: false }

/**
 * Why a write was refused. `SIGNED_ONLY`: the provider once signed, so its
 * unsigned writes are refused; `OUTDATED`: not after its newest accepted
 * signed write; `REPLAYED`: the very same signed write again; `ADDRESS_FULL`:
 * the per-address limit of providers is reached.
 */
export type WriteRefusal = 'SIGNED_ONLY' | 'OUTDATED' | 'REPLAYED' | 'ADDRESS_FULL'

export type UpsertOutcome =
  { readonly ok: true; readonly record: AdvertisementRecord } | { readonly ok: false; readonly refusal: WriteRefusal; readonly lastSignedAt: number | null }

export type DeleteOutcome =
  { readonly ok: true; readonly deleted: boolean } | { readonly ok: false; readonly refusal: WriteRefusal; readonly lastSignedAt: number | null }

/** Where a listing page starts: after this advertisement in listing order. */
export interface Cursor {
  readonly createdAt: number
  readonly providerId: string
}

/** One page of a listing; `next` is set when more advertisements match. */
export interface Page {
  readonly records: AdvertisementRecord[]
  readonly next: Cursor | undefined
}

/** What a sweep removed. */
export interface Pruned {
  readonly advertisements: number
  readonly signers: number
}

/** Settings every implementation takes. */
export interface StoreLimits {
  /** An advertisement is fresh for this long after its last post. */
  readonly expiryMs: number
  /** Most fresh advertisements of different providers per address key (IPv4 address, IPv6 /64); 0 = no limit. */
  readonly maxProvidersPerAddress: number
  /** A provider's signing state is kept this long after its last signed write once it has no advertisement. */
  readonly signerRetentionMs: number
}

/**
 * Contract shared by every implementation:
 * - An advertisement is *fresh* at `now` while `updatedAt >= now - expiryMs`;
 *   reads (`get`, `list`) return fresh advertisements only.
 * - `upsert` inserts, or replaces every field but `createdAt` of a fresh
 *   advertisement; an expired one is replaced as if new. `updatedAt` is
 *   `max(now, createdAt)`, so `createdAt <= updatedAt` always holds.
 * - Once a provider has written with a signature, the store remembers it
 *   (until `prune` forgets a provider without advertisement whose last
 *   signed write is older than the retention) and refuses its unsigned
 *   writes (`SIGNED_ONLY`), signed writes not after its newest accepted one
 *   in (timestamp, nonce) order (`OUTDATED`) and a repeat of that one
 *   (`REPLAYED`). A post that would make more than `maxProvidersPerAddress`
 *   fresh advertisements share an address key is refused (`ADDRESS_FULL`).
 *   A refused write changes nothing.
 * - Every method is atomic, also with several processes on one database;
 *   `list` returns advertisements in first-post order (createdAt, providerId),
 *   `limit` at a time, starting after `after`.
 * - A database that cannot be reached makes every method reject with
 *   `StoreUnavailableError`; the store reconnects by itself.
 */
export interface AdvertisementStore {
  upsert(input: AdvertisementInput, proof: WriteProof, now: number): Promise<UpsertOutcome>
  get(providerId: string, now: number): Promise<AdvertisementRecord | undefined>
  list(filter: AdvertisementFilter, page: { readonly limit: number; readonly after?: Cursor | undefined }, now: number): Promise<Page>
  /** Deletes the advertisement, fresh or expired; `deleted` says whether one existed. */
  delete(providerId: string, proof: WriteProof): Promise<DeleteOutcome>
  /**
   * Removes every advertisement that is no longer fresh, and the signing
   * state of providers gone for longer than the retention. With several
   * instances, one sweeps at a time (the others return zeros).
   */
  prune(now: number): Promise<Pruned>
  /** Resolves when the database answers; rejects with `StoreUnavailableError` otherwise. */
  ping(): Promise<void>
  close(): Promise<void>
}

/** A page from `limit + 1` rows read: the first `limit`, and the cursor of the last one when there were more. */
export function pageOf(rows: AdvertisementRecord[], limit: number): Page {
  if (rows.length <= limit) return { records: rows, next: undefined }
  const records = rows.slice(0, limit)
  const last = records[records.length - 1]
  return { records, next: last === undefined ? undefined : { createdAt: last.createdAt, providerId: last.providerId } }
}
