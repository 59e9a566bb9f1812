/**
 * What can go wrong talking to a chain, in three kinds a caller branches on:
 * the node did not answer (retry later; never a reason to act against a VM),
 * the contract refused the call (with its custom error decoded), or the
 * sending account cannot pay.
 *
 * @module
 */

export type ChainErrorKind = 'unavailable' | 'reverted' | 'insufficient-funds'

/** A contract's custom error, decoded: its name (e.g. `UnknownStream`) and arguments. */
export interface RevertReason {
  readonly name: string
  readonly args: readonly unknown[]
}

/** A failed chain call. `kind` says whether to retry (`unavailable`) or what to fix. */
export class ChainError extends Error {
  override readonly name = 'ChainError'

  constructor(
    readonly kind: ChainErrorKind,
    message: string,
    readonly revert?: RevertReason,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

/** True for a failure that says nothing about the stream: the node was down, slow, or answered garbage. */
export const isChainUnavailable = (error: unknown): error is ChainError => error instanceof ChainError && error.kind === 'unavailable'
