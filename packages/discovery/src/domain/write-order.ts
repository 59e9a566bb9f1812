/**
 * The order of a provider's signed writes: each must come strictly after the
 * newest accepted one in (signing time, nonce) order. A captured request can
 * therefore never be accepted twice, nor roll an advertisement back, by any
 * instance, however long after; two writes signed in the same millisecond
 * are ordered by their nonces.
 *
 * @module
 */

/** The newest accepted signed write of a provider. */
export interface LastSigned {
  readonly signedAt: number
  readonly nonce: string
}

/** Why a write is refused by the order rule, or null when it may go ahead. */
export type OrderRefusal = 'SIGNED_ONLY' | 'OUTDATED' | 'REPLAYED'

/**
 * Checks a write against the provider's newest accepted signed write
 * (undefined when it never signed): unsigned writes of a signing provider are
 * `SIGNED_ONLY`, the same signed write again is `REPLAYED`, an earlier one `OUTDATED`.
 */
export function orderRefusal(
  write: { readonly signed: true; readonly signedAt: number; readonly nonce: string } | { readonly signed: false },
  last: LastSigned | undefined,
): OrderRefusal | null {
  if (last === undefined) return null
  if (!write.signed) return 'SIGNED_ONLY'
  if (write.signedAt !== last.signedAt) return write.signedAt < last.signedAt ? 'OUTDATED' : null
  if (write.nonce === last.nonce) return 'REPLAYED'
  return write.nonce < last.nonce ? 'OUTDATED' : null
}
