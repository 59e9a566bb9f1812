/**
 * What the use cases need from the outside world, as the ports in `ports/`;
 * `compose.ts` supplies the adapters of `infra/` (and tests may supply fakes).
 *
 * @module
 */
import type { Signer } from 'ethers'
import type { RequestorConfig } from '../config.js'
import type { Discovery } from './ports/discovery.js'
import type { PaymentChain, PaymentTarget } from './ports/payment-chain.js'
import type { ProviderApi } from './ports/provider-api.js'
import type { Rentals } from './ports/rentals.js'
import type { RenterIdentity } from './ports/renter-identity.js'
import type { SshKey } from './ports/ssh.js'

/** Where one provider is and who it is. */
export interface ProviderTarget {
  readonly baseUrl: string
  readonly providerId: string
  /** Use its unsigned answers (after a warning): the renter chose to trust it (`--allow-unverified`). Default false. */
  readonly acceptUnsigned?: boolean
}

/** The parts the use cases work with. */
export interface RequestorDeps {
  readonly config: RequestorConfig
  readonly store: Rentals
  readonly discovery: Discovery
  /** The renter's identity, made on first use. */
  identity(): Promise<RenterIdentity>
  /** The renter's SSH key; made on first use only when `create` is true. */
  sshKey(create: boolean): Promise<SshKey>
  /** A client of one provider, signing as `signer`. */
  provider(target: ProviderTarget, signer: Signer): ProviderApi
  /** The rental's own known_hosts file (its directory is made 0700). */
  knownHostsFile(name: string): Promise<string>
  /** Pins `keys` (`type base64`) as the only host keys of the rental's VM at host:port in its known_hosts file. */
  pinHostKeys(name: string, host: string, port: number, keys: readonly string[]): Promise<void>
  /** Removes the rental's recorded host keys (after destroy). */
  forgetHostKeys(name: string): Promise<void>
  /**
   * The renter's connection to a payment contract, checked: the configured
   * RPC serves chain `target.chainId` and `target.contract` is exactly this
   * project's StreamPayments. Rejects with PAYMENT_NOT_CONFIGURED without an
   * RPC URL, PAYMENT_CHAIN_MISMATCH, PAYMENT_CONTRACT_INVALID or PAYMENT_CHAIN_UNAVAILABLE.
   * The caller closes it.
   */
  paymentChain(target: PaymentTarget): Promise<PaymentChain>
}

/** Something the user should know that is not an error (a new key made, a record cleaned up). */
export type Notice = string
