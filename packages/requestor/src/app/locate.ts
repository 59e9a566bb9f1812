/**
 * Finds the VM a command is about: a rental in the data dir, or — with
 * `--provider-id` — a VM on a provider that is not recorded here (after the
 * rentals file was lost, or to look at another renter's VM, which the
 * provider refuses). Checks that the identity in use owns the rental, that
 * the name is one a VM can have (it becomes a file name in the data dir),
 * and that the provider is at an address the renter may connect to.
 *
 * @module
 */
import { getAddress, isAddress } from 'ethers'
import { verifyAdvertisement } from '@golem-vm/protocol'
import { isUsable } from '../domain/offers.js'
import { ALLOW_PRIVATE_HINT, connectProblem, providerUrl, urlHost } from '../domain/endpoint.js'
import { RequestorError } from '../domain/errors.js'
import type { Rental } from '../domain/rental.js'
import { nameProblem } from '../domain/resources.js'
import { cleanText } from '../domain/terminal-text.js'
import type { RenterIdentity } from './ports/renter-identity.js'
import type { ProviderTarget, RequestorDeps } from './deps.js'

/** A client of one provider, as the use cases get it. */
export type Client = ReturnType<RequestorDeps['provider']>

/** The VM a command acts on. */
export interface Located {
  /** The local record, when there is one. */
  readonly rental: Rental | undefined
  readonly vmId: string
  readonly target: ProviderTarget
  readonly identity: RenterIdentity
  readonly client: Client
}

/** Checks an `--provider-id` value; returns it EIP-55 checksummed. */
export function checkedProviderId(id: string): string {
  if (!isAddress(id))
    throw new RequestorError(
      'INVALID_ARGUMENT',
      `--provider-id must be a provider's Ethereum address (0x and 40 hex digits), as golem-vm providers lists it (got "${cleanText(String(id))}")`,
    )
  return getAddress(id)
}

/**
 * Checks a VM name given on the command line before it is used anywhere
 * (it names the rental's known_hosts file, so it must never be a path).
 */
export function checkedName(name: string): string {
  const problem = nameProblem(name)
  if (problem !== undefined) throw new RequestorError('INVALID_ARGUMENT', `${cleanText(problem)}; golem-vm list shows the names of your VMs`)
  return name
}

/**
 * Where a provider's API is, from its fresh advertisement. Throws
 * PROVIDER_NOT_FOUND when it has none, PROVIDER_UNVERIFIED when its proof
 * does not verify (always) or it carries none (unless `allowUnverified`).
 * Its answers must be signed unless `allowUnverified` (the renter trusts it).
 */
export async function providerFromDiscovery(deps: RequestorDeps, providerId: string, allowUnverified: boolean) {
  const ad = await deps.discovery.get(providerId)
  if (ad === undefined || !isUsable(ad)) {
    throw new RequestorError(
      'PROVIDER_NOT_FOUND',
      `provider ${providerId} has no fresh advertisement at ${deps.config.discoveryUrl}; it may be offline or full. golem-vm providers lists the available ones`,
    )
  }
  const verdict = verifyAdvertisement(ad)
  if (!verdict.ok && verdict.kind === 'invalid') {
    throw new RequestorError(
      'PROVIDER_UNVERIFIED',
      `the advertisement of ${providerId} at ${deps.config.discoveryUrl} does not verify (${verdict.reason}); the discovery service altered it or it is forged, so it is not used`,
    )
  }
  if (!verdict.ok && !allowUnverified) {
    throw new RequestorError(
      'PROVIDER_UNVERIFIED',
      `the advertisement of ${providerId} carries no signature of the provider (posted unsigned, or served by a discovery service that does not keep signatures); anyone could have posted it. Choose a verified provider, or pass --allow-unverified if you trust it`,
    )
  }
  return { ad, target: { baseUrl: providerUrl(ad), providerId: getAddress(ad.provider_id), acceptUnsigned: allowUnverified } }
}

/**
 * A client of the provider at `target`, signing as `identity`. Throws
 * ADDRESS_NOT_PUBLIC for a provider at a loopback, private or other
 * non-public address, unless such addresses are allowed (development mode).
 */
export function clientFor(deps: RequestorDeps, target: ProviderTarget, identity: RenterIdentity): Client {
  const host = urlHost(target.baseUrl)
  const problem = connectProblem(host, deps.config.allowPrivateAddresses)
  if (problem !== undefined) {
    throw new RequestorError(
      'ADDRESS_NOT_PUBLIC',
      `provider ${target.providerId} is at ${host}, ${problem}; golem-vm connects only to public addresses (${ALLOW_PRIVATE_HINT})`,
    )
  }
  return deps.provider(target, identity.wallet)
}

function ownedBy(rental: Rental, identity: RenterIdentity): void {
  if (rental.renter.toLowerCase() === identity.address.toLowerCase()) return
  throw new RequestorError(
    'IDENTITY_MISMATCH',
    `the VM "${rental.name}" belongs to the identity ${rental.renter}, but ${identity.file} is ${identity.address}; restore the identity file it was created with`,
  )
}

/** How a command names its VM: the name, and — for a VM not recorded here — the provider to ask. */
export interface VmAddress {
  readonly name: string
  readonly providerId?: string | undefined
  readonly allowUnverified?: boolean | undefined
}

/** Finds the VM `name`: the local rental, else (with `providerId`) the VM on that provider. */
export async function locate(deps: RequestorDeps, address: VmAddress): Promise<Located> {
  const name = checkedName(address.name)
  const wanted = address.providerId === undefined ? undefined : checkedProviderId(address.providerId)
  const rental = await deps.store.get(name)
  if (rental === undefined && wanted === undefined) {
    throw new RequestorError(
      'RENTAL_NOT_FOUND',
      `you have no VM called "${name}" in ${deps.config.dataDir} (golem-vm list shows yours); for a VM not recorded here, add --provider-id`,
    )
  }
  if (rental !== undefined && wanted !== undefined && wanted.toLowerCase() !== rental.provider_id.toLowerCase()) {
    throw new RequestorError('INVALID_ARGUMENT', `your VM "${name}" is on provider ${rental.provider_id}, not ${wanted}; drop --provider-id to use it`)
  }
  const identity = await deps.identity()
  if (rental !== undefined) {
    ownedBy(rental, identity)
    const acceptUnsigned = rental.accept_unsigned_answers === true || address.allowUnverified === true
    const target = { baseUrl: rental.provider_url, providerId: rental.provider_id, acceptUnsigned }
    return { rental, vmId: rental.vm_id, target, identity, client: clientFor(deps, target, identity) }
  }
  const { target } = await providerFromDiscovery(deps, wanted ?? '', address.allowUnverified === true)
  return { rental: undefined, vmId: name, target, identity, client: clientFor(deps, target, identity) }
}
