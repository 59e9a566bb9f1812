/**
 * The port to the discovery service: listing and reading advertisements.
 * `infra/discovery-client.ts` implements it.
 *
 * @module
 */
import type { AdvertisementFromAnyServer } from '@golem-vm/protocol'

/** Filters of a listing; each is passed to the service only when given. */
export interface AdvertisementFilter {
  readonly cpu?: number | undefined
  readonly memory?: number | undefined
  readonly storage?: number | undefined
  readonly country?: string | undefined
  /** Only providers that say they isolate their VMs (sent as `isolated=true`; an original service ignores it). */
  readonly isolated?: true | undefined
}

/** A listing: the well-formed advertisements, how many elements were not, and whether pages were left unread. */
export interface AdvertisementListing {
  readonly advertisements: AdvertisementFromAnyServer[]
  readonly malformed: number
  readonly truncated: boolean
}

/** Reads advertisements; rejects with a RequestorError saying what failed. */
export interface Discovery {
  list(filter?: AdvertisementFilter): Promise<AdvertisementListing>
  /** One provider's advertisement; undefined when the service has none. */
  get(providerId: string): Promise<AdvertisementFromAnyServer | undefined>
}
