/**
 * The requestor's error catalogue: every failure the CLI reports has a stable
 * SCREAMING_SNAKE `code`, a message that says what happened and what to do,
 * and the process exit code it ends with (documented in the README).
 *
 * @module
 */

/** Process exit codes of `golem-vm` (except `ssh`, which exits with ssh's own status). */
export const EXIT_CODES = {
  OK: 0,
  /** A local problem: unreadable state, a key file that cannot be written, an unexpected defect. */
  FAILURE: 1,
  /** Bad arguments or configuration; the provider refused the request as invalid. */
  USAGE: 2,
  /** No such rental, VM or provider. */
  NOT_FOUND: 3,
  /** Name taken, capacity gone, VM busy. */
  CONFLICT: 4,
  /** Discovery or provider unreachable, timed out, rate-limited or shutting down: try again later. */
  UNAVAILABLE: 5,
  /** Trust: the provider refused the renter's signature, the identity does not own the rental, a provider is not verified or not at a public address, or its answer does not carry its signature. */
  UNAUTHORIZED: 6,
  /** The provider failed (5xx) or answered something that is not its API. */
  PROVIDER_FAILED: 7,
  /** The provider does not offer the operation (an original 0.1.21 provider cannot stop or start VMs); nothing changed. */
  NOT_SUPPORTED: 8,
  /** Payment: not enough tokens or gas, or the provider refused the payment stream. */
  PAYMENT: 9,
  /** Interrupted by the user (Ctrl-C). */
  INTERRUPTED: 130,
} as const

/** Stable codes of requestor errors, with the exit code each ends the process with. */
export const ERROR_EXIT_CODES = {
  INVALID_ARGUMENT: EXIT_CODES.USAGE,
  CONFIG_INVALID: EXIT_CODES.USAGE,
  INVALID_REQUEST: EXIT_CODES.USAGE,
  RENTAL_NOT_FOUND: EXIT_CODES.NOT_FOUND,
  VM_NOT_FOUND: EXIT_CODES.NOT_FOUND,
  PROVIDER_NOT_FOUND: EXIT_CODES.NOT_FOUND,
  NAME_TAKEN: EXIT_CODES.CONFLICT,
  CAPACITY_GONE: EXIT_CODES.CONFLICT,
  VM_BUSY: EXIT_CODES.CONFLICT,
  DISCOVERY_UNREACHABLE: EXIT_CODES.UNAVAILABLE,
  PROVIDER_UNREACHABLE: EXIT_CODES.UNAVAILABLE,
  PROVIDER_TIMEOUT: EXIT_CODES.UNAVAILABLE,
  RATE_LIMITED: EXIT_CODES.UNAVAILABLE,
  UNAUTHORIZED: EXIT_CODES.UNAUTHORIZED,
  IDENTITY_MISMATCH: EXIT_CODES.UNAUTHORIZED,
  PROVIDER_UNVERIFIED: EXIT_CODES.UNAUTHORIZED,
  ADDRESS_NOT_PUBLIC: EXIT_CODES.UNAUTHORIZED,
  ANSWER_UNVERIFIED: EXIT_CODES.UNAUTHORIZED,
  DISCOVERY_FAILED: EXIT_CODES.PROVIDER_FAILED,
  PROVIDER_FAILED: EXIT_CODES.PROVIDER_FAILED,
  BAD_RESPONSE: EXIT_CODES.PROVIDER_FAILED,
  NOT_SUPPORTED: EXIT_CODES.NOT_SUPPORTED,
  LOCAL_STATE: EXIT_CODES.FAILURE,
  SSH_KEY_MISSING: EXIT_CODES.FAILURE,
  SSH_UNAVAILABLE: EXIT_CODES.FAILURE,
  INTERRUPTED: EXIT_CODES.INTERRUPTED,
  PAYMENT_NOT_CONFIGURED: EXIT_CODES.USAGE,
  PAYMENT_CHAIN_MISMATCH: EXIT_CODES.USAGE,
  PAYMENT_CHAIN_UNAVAILABLE: EXIT_CODES.UNAVAILABLE,
  PAYMENT_CONTRACT_INVALID: EXIT_CODES.UNAUTHORIZED,
  INSUFFICIENT_FUNDS: EXIT_CODES.PAYMENT,
  PAYMENT_REFUSED: EXIT_CODES.PAYMENT,
  PAYMENT_FAILED: EXIT_CODES.PAYMENT,
} as const

/** Every stable error code of the requestor. */
export type RequestorErrorCode = keyof typeof ERROR_EXIT_CODES

/** A failure the user can act on; `message` says what happened and what to do. */
export class RequestorError extends Error {
  override readonly name = 'RequestorError'
  constructor(
    readonly code: RequestorErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }

  /** The process exit code this error ends `golem-vm` with. */
  get exitCode(): number {
    return ERROR_EXIT_CODES[this.code]
  }
}

/** The message of any thrown value. */
export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error))
