/**
 * Which advertisements a renter is shown. The discovery service verifies
 * each provider's signature when the advertisement is posted (a forged post
 * is refused with 401) and marks posts it accepted unsigned, in its
 * transition mode, with `signed: false`. Its answers carry no signature a
 * renter could check again, so the renter trusts that verification and hides
 * everything not marked `signed: true` — including every advertisement of an
 * original discovery service, which has no `signed` field at all.
 *
 * @module
 */
import { IpAddress, type AdvertisementFromAnyServer } from '@golem-vm/protocol'
import { isAddress } from 'ethers'
import { providerUrl } from './endpoint.js'

/** An advertisement as shown to a renter (the `providers --json` element). */
export interface ProviderOffer {
  readonly provider_id: string
  readonly provider_name: string | null
  readonly country: string
  readonly ip_address: string
  readonly provider_url: string
  readonly resources: Readonly<Record<string, number>>
  readonly version: string | null
  readonly arch: string | null
  readonly ssh_ports_free: number | null
  readonly updated_at: string
  /** True when the discovery service verified the provider's signature on this advertisement. */
  readonly verified: boolean
}

/** The offers to show and how many were hidden, and why. */
export interface OfferSelection {
  readonly offers: readonly ProviderOffer[]
  readonly hiddenUnverified: number
  readonly hiddenMalformed: number
}

/** True when the advertisement can be used at all: a real address to sign for and an IP to connect to. */
export function isUsable(ad: AdvertisementFromAnyServer): boolean {
  return isAddress(ad.provider_id) && IpAddress.safeParse(ad.ip_address).success && (ad.api_port === undefined || (Number.isInteger(ad.api_port) && ad.api_port >= 1 && ad.api_port <= 65_535))
}

/** The offer shown for a usable advertisement. */
export function toOffer(ad: AdvertisementFromAnyServer): ProviderOffer {
  return {
    provider_id: ad.provider_id,
    provider_name: ad.provider_name ?? null,
    country: ad.country,
    ip_address: ad.ip_address,
    provider_url: providerUrl(ad),
    resources: ad.resources,
    version: ad.version ?? null,
    arch: ad.arch ?? null,
    ssh_ports_free: ad.ssh_ports_free ?? null,
    updated_at: ad.updated_at,
    verified: ad.signed === true,
  }
}

/**
 * Selects what `golem-vm providers` shows: usable advertisements verified by
 * discovery, plus the unverified ones when `includeUnverified` is set.
 */
export function selectOffers(ads: readonly AdvertisementFromAnyServer[], malformed: number, includeUnverified: boolean): OfferSelection {
  const usable = ads.filter(isUsable)
  const offers = usable.map(toOffer)
  const shown = offers.filter((offer) => offer.verified || includeUnverified)
  return { offers: shown, hiddenUnverified: offers.length - shown.length, hiddenMalformed: malformed + ads.length - usable.length }
}
