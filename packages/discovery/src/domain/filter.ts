/**
 * The listing filter: minimum resources, a country and whether the provider
 * isolates its VMs, combined with AND.
 *
 * @module
 */
import type { AdvertisementQuery } from '@golem-vm/protocol'
import { DiscoveryError } from './errors.js'

/** Every field is optional; a present number is at least 1, a country is upper-case. */
export interface AdvertisementFilter {
  readonly cpu?: number
  readonly memory?: number
  readonly storage?: number
  readonly country?: string
  /** Only advertisements that said exactly this (those that said nothing never match). */
  readonly isolated?: boolean
  /** Only offers in this token (lower-case address), and free ones. */
  readonly token?: string
  /** Most base units of `token` per unit-hour; free offers always match. Set only with `token`. */
  readonly maxPrice?: { readonly [K in PriceKey]?: string }
}

/** The per-unit prices of an offer, as named in its pricing. */
export const PRICE_KEYS = ['per_cpu_hour', 'per_gb_memory_hour', 'per_gb_storage_hour'] as const
export type PriceKey = (typeof PRICE_KEYS)[number]

const NUMERIC_KEYS = ['cpu', 'memory', 'storage'] as const

/**
 * Turns a validated query into a filter. Throws ADV_002 (as the original did)
 * when a resource minimum is below 1.
 */
export function toFilter(query: AdvertisementQuery): AdvertisementFilter {
  const filter: { -readonly [K in keyof AdvertisementFilter]: AdvertisementFilter[K] } = {}
  const low: string[] = []
  for (const key of NUMERIC_KEYS) {
    const text = query[key]
    if (text === undefined) continue
    const value = Number(text)
    if (value < 1) low.push(`${key}=${text}`)
    filter[key] = value
  }
  if (low.length > 0) {
    throw new DiscoveryError('ADV_002', `Resource requirements must be >= 1 (got ${low.join(', ')}); omit a filter to match any amount`)
  }
  if (query.country !== undefined) filter.country = query.country.toUpperCase()
  if (query.isolated !== undefined) filter.isolated = query.isolated === 'true'
  if (query.token !== undefined) filter.token = query.token.toLowerCase()
  const maxPrice: { [K in PriceKey]?: string } = {}
  for (const key of PRICE_KEYS) {
    const text = query[`max_price_${key}`]
    if (text !== undefined) maxPrice[key] = text
  }
  if (Object.keys(maxPrice).length > 0) {
    if (filter.token === undefined) {
      throw new DiscoveryError('ADV_005', 'Request validation failed: a max_price_* filter is in base units of one token; add token=0x… (the token address)', [
        { loc: ['query', 'token'], msg: 'required with max_price_*', type: 'missing' },
      ])
    }
    filter.maxPrice = maxPrice
  }
  return filter
}

/** Where a listing page starts (after this advertisement) and how many it holds. */
export interface PageRequest {
  readonly limit: number
  readonly after?: { readonly createdAt: number; readonly providerId: string } | undefined
}

/** The opaque `after` cursor of the next page: base64url of "createdAt.providerId". */
export function encodeCursor(after: { readonly createdAt: number; readonly providerId: string }): string {
  return Buffer.from(`${after.createdAt}.${after.providerId}`, 'utf8').toString('base64url')
}

/** Reads a cursor made by {@link encodeCursor}; throws ADV_005 for anything else. */
export function decodeCursor(text: string): { createdAt: number; providerId: string } {
  const match = /^(\d{1,15})\.(0x[0-9a-fA-F]{40})$/.exec(Buffer.from(text, 'base64url').toString('utf8'))
  if (match === null) {
    throw new DiscoveryError('ADV_005', 'Request validation failed: after is not a cursor this service made; follow the Link header of the previous page', [
      { loc: ['query', 'after'], msg: 'not a cursor of this service', type: 'cursor' },
    ])
  }
  return { createdAt: Number(match[1]), providerId: match[2] ?? '' }
}
