/**
 * Which advertisements a renter is shown. The discovery service is not
 * trusted: every signed advertisement carries the provider's signed post,
 * and the renter verifies it itself (`verifyAdvertisement`: the signer is
 * the advertised provider, every advertised field is what it signed). An
 * advertisement whose proof does not verify was altered or forged and is
 * dropped, always, with the reason; one without a proof (an unsigned post in
 * the transition mode, an older or the original discovery service) is
 * hidden unless the renter asks for unverified ones.
 *
 * @module
 */
import { IpAddress, verifyAdvertisement, type AdvertisementFromAnyServer, type OfferPricing } from '@golem-vm/protocol'
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
  /** What the provider said about walling its VMs off from its host, LAN and other VMs; null: it did not say. */
  readonly isolated: boolean | null
  readonly updated_at: string
  /** What renting costs there (prices in base units per hour); null: the provider is free. */
  readonly pricing: OfferPricing | null
  /** True when this renter verified the provider's signature over every advertised field. */
  readonly verified: boolean
}

/** An advertisement dropped because its proof does not verify, and why. */
export interface RejectedAdvertisement {
  readonly provider_id: string
  readonly reason: string
}

/** The offers to show and how many were hidden or dropped, and why. */
export interface OfferSelection {
  readonly offers: readonly ProviderOffer[]
  readonly hiddenUnverified: number
  readonly hiddenMalformed: number
  readonly rejected: readonly RejectedAdvertisement[]
}

/** True when the advertisement can be used at all: a real address to sign for and an IP to connect to. */
export function isUsable(ad: AdvertisementFromAnyServer): boolean {
  return (
    isAddress(ad.provider_id) &&
    IpAddress.safeParse(ad.ip_address).success &&
    (ad.api_port === undefined || (Number.isInteger(ad.api_port) && ad.api_port >= 1 && ad.api_port <= 65_535))
  )
}

/** The offer shown for a usable advertisement; `verified` says whether its proof verified. */
export function toOffer(ad: AdvertisementFromAnyServer, verified: boolean): ProviderOffer {
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
    isolated: ad.isolated ?? null,
    updated_at: ad.updated_at,
    pricing: ad.pricing ?? null,
    verified,
  }
}

/**
 * Selects what `golem-vm providers` shows: usable advertisements whose proof
 * verifies, plus those without a proof when `includeUnverified` is set;
 * advertisements whose proof does not verify are dropped and listed.
 */
export function selectOffers(
  ads: readonly AdvertisementFromAnyServer[],
  malformed: number,
  includeUnverified: boolean,
  now: number = Date.now(),
): OfferSelection {
  const usable = ads.filter(isUsable)
  const offers: ProviderOffer[] = []
  const rejected: RejectedAdvertisement[] = []
  let hiddenUnverified = 0
  for (const ad of usable) {
    const verdict = verifyAdvertisement(ad, now)
    if (verdict.ok) offers.push(toOffer(ad, true))
    else if (verdict.kind === 'invalid') rejected.push({ provider_id: ad.provider_id, reason: verdict.reason })
    else if (includeUnverified) offers.push(toOffer(ad, false))
    else hiddenUnverified++
  }
  return { offers, hiddenUnverified, hiddenMalformed: malformed + ads.length - usable.length, rejected }
}
