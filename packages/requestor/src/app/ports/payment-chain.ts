/**
 * The port to the chain a provider is paid on, as the renter uses it: the
 * renter's balances, and opening, topping up, reading and ending the payment
 * stream of one VM, signed with the renter's identity key.
 * `infra/payment-chain.ts` implements it over `@golem-vm/payments/client`.
 *
 * @module
 */
import type { Stream } from '@golem-vm/payments'

/** Which deployment a provider is paid through (from its advertisement or the rental record). */
export interface PaymentTarget {
  readonly chainId: number
  readonly contract: string
}

/** The renter's funds on the chain. */
export interface Balances {
  /** Tokens, in base units. */
  readonly token: bigint
  /** The chain's native coin for gas, in wei. */
  readonly gas: bigint
}

/**
 * One renter's connection to one payment contract. Every call rejects with a
 * RequestorError: PAYMENT_CHAIN_UNAVAILABLE (the node did not answer),
 * INSUFFICIENT_FUNDS (no gas), PAYMENT_FAILED (the contract refused).
 */
export interface PaymentChain {
  /** The renter's address on the chain (its identity). */
  readonly address: string
  balances(token: string): Promise<Balances>
  /** Opens a stream to `recipient` bound to `vmId`; resolves with it as mined. */
  open(req: { recipient: string; token: string; vmId: string; deposit: bigint; ratePerSecond: bigint }): Promise<Stream>
  topUp(streamId: bigint, token: string, amount: bigint): Promise<void>
  /** Ends the stream: the vested part to the provider, the rest back to the renter. */
  end(streamId: bigint): Promise<{ paidToRecipient: bigint; refunded: bigint }>
  /** The stream as the chain has it now; undefined when there is none. */
  stream(streamId: bigint): Promise<Stream | undefined>
  /** The latest block's time (Unix seconds): the contract's "now". */
  now(): Promise<number>
  close(): void
}
