/**
 * The renter's identity as the use cases see it: the wallet that signs its
 * requests and its address. `infra/identity.ts` loads or makes it.
 *
 * @module
 */
import type { Wallet } from 'ethers'

/** The loaded identity. */
export interface RenterIdentity {
  readonly wallet: Wallet
  /** EIP-55 address: the renter id providers record as the owner. */
  readonly address: string
  readonly file: string
  readonly created: boolean
}
