/**
 * The port the payment use cases reach the chain through: read a stream,
 * withdraw what has vested. `infra/payments/` implements it over the
 * StreamPayments client. A read that fails because the node does not answer
 * throws {@link PaymentChainUnavailable}: never a reason to act against a VM.
 *
 * @module
 */
import type { Stream } from '@golem-vm/payments'

/** The chain did not answer (down, slow, or garbage): try again later. */
export class PaymentChainUnavailable extends Error {
  override readonly name = 'PaymentChainUnavailable'
}

export interface PaymentChain {
  /** The stream with this id, or undefined when none was opened (or its opening is not mined yet). */
  readStream(id: bigint): Promise<Stream | undefined>
  /** Withdraws everything vested from these streams to the provider; the amount per stream. */
  withdraw(ids: readonly bigint[]): Promise<ReadonlyMap<bigint, bigint>>
}
