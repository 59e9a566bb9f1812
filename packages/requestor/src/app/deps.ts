/**
 * What the use cases need from the outside world, as types only;
 * `compose.ts` supplies the concrete parts (and tests may supply fakes).
 *
 * @module
 */
import type { Signer } from 'ethers'
import type { RequestorConfig } from '../config.js'
import type { DiscoveryClient } from '../infra/discovery-client.js'
import type { RenterIdentity } from '../infra/identity.js'
import type { SshKey } from '../infra/keys.js'
import type { ProviderClient } from '../infra/provider-client.js'
import type { RentalStore } from '../infra/rental-store.js'

/** Where one provider is and who it is. */
export interface ProviderTarget {
  readonly baseUrl: string
  readonly providerId: string
}

/** The parts the use cases work with. */
export interface RequestorDeps {
  readonly config: RequestorConfig
  readonly store: Pick<RentalStore, 'list' | 'get' | 'insert' | 'update' | 'remove'>
  readonly discovery: Pick<DiscoveryClient, 'list' | 'get'>
  /** The renter's identity, made on first use. */
  identity(): Promise<RenterIdentity>
  /** The renter's SSH key; made on first use only when `create` is true. */
  sshKey(create: boolean): Promise<SshKey>
  /** A client of one provider, signing as `signer`. */
  provider(target: ProviderTarget, signer: Signer): Pick<ProviderClient, 'create' | 'list' | 'get' | 'access' | 'start' | 'stop' | 'delete' | 'addPorts' | 'removePort'>
  /** The rental's own known_hosts file (its directory is made 0700). */
  knownHostsFile(name: string): Promise<string>
  /** Removes the rental's recorded host keys (after destroy). */
  forgetHostKeys(name: string): Promise<void>
}

/** Something the user should know that is not an error (a new key made, a record cleaned up). */
export type Notice = string
