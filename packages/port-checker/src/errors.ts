/**
 * The port checker's one error type. Every failure a client can see carries a
 * stable code from `PORT_CHECK_ERROR_CODES` (in `@golem-vm/protocol`);
 * `error-handler.ts` is the only place that maps codes to HTTP statuses.
 *
 * @module
 */
import type { PortCheckErrorCode } from '@golem-vm/protocol'

/** One problem with the request body: where (`ports.2`, empty for the body itself) and what. */
export interface ErrorIssue {
  readonly path: string
  readonly message: string
}

/** An error whose code and message are meant for the client; the message says what to fix. */
export class PortCheckError extends Error {
  override readonly name = 'PortCheckError'
  constructor(
    readonly code: PortCheckErrorCode,
    message: string,
    readonly issues: readonly ErrorIssue[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}
