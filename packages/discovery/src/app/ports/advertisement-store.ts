/**
 * The port advertisements are kept through (infra/sqlite-store.ts implements
 * it). The service depends on this interface only, so
 * a PostgreSQL backend can be added beside the SQLite one.
 *
 * @module
 */
import type { AdvertisementInput, AdvertisementRecord } from '../../domain/advertisement.js'
import type { AdvertisementFilter } from '../../domain/filter.js'

/**
 * How a write was authorised. A signed write carries the signature's own
 * timestamp (epoch ms) and nonce, which the store uses to refuse an older
 * signed write arriving after a newer one, and a repeat of the newest one
 * (replays across a restart, which empties the in-memory nonce cache).
 */
export type WriteProof = { readonly signed: true; readonly signedAt: number; readonly nonce: string } | { readonly signed: false }

/**
 * Why a write was refused. `SIGNED_ONLY`: the provider once signed, so its
 * unsigned writes are refused; `OUTDATED`: signed before its newest accepted
 * write; `REPLAYED`: the very same signed write again.
 */
export type WriteRefusal = 'SIGNED_ONLY' | 'OUTDATED' | 'REPLAYED'

export type UpsertOutcome =
  | { readonly ok: true; readonly record: AdvertisementRecord }
  | { readonly ok: false; readonly refusal: WriteRefusal; readonly lastSignedAt: number | null }

export type DeleteOutcome =
  | { readonly ok: true; readonly deleted: boolean }
  | { readonly ok: false; readonly refusal: WriteRefusal; readonly lastSignedAt: number | null }

/**
 * Contract shared by every implementation:
 * - An advertisement is *fresh* at `now` while `updatedAt >= now - expiryMs`;
 *   reads (`get`, `list`) return fresh advertisements only.
 * - `upsert` inserts, or replaces every field but `createdAt` of a fresh
 *   advertisement; an expired one is replaced as if new. `updatedAt` is
 *   `max(now, createdAt)`, so `createdAt <= updatedAt` always holds.
 * - Once a provider has written with a signature, the store remembers it
 *   (also after its advertisement is deleted or expires) and refuses its
 *   unsigned writes (`SIGNED_ONLY`), signed writes older than its newest
 *   accepted one (`OUTDATED`) and a repeat of that one (`REPLAYED`). A
 *   refused write changes nothing.
 * - All methods are atomic; `list` returns advertisements in first-post order.
 */
export interface AdvertisementStore {
  upsert(input: AdvertisementInput, proof: WriteProof, now: number): UpsertOutcome
  get(providerId: string, now: number): AdvertisementRecord | undefined
  list(filter: AdvertisementFilter, now: number): AdvertisementRecord[]
  /** Deletes the advertisement, fresh or expired; `deleted` says whether one existed. */
  delete(providerId: string, proof: WriteProof): DeleteOutcome
  /** Removes every advertisement that is no longer fresh; returns how many. */
  deleteExpired(now: number): number
  close(): void
}
