/**
 * The port checker's one error type. Every failure a client can see carries a
 * stable code from `PORT_CHECK_ERROR_CODES` (in `@golem-vm/protocol`);
 * `error-handler.ts` is the only place that maps codes to HTTP statuses.
 *
 * @module
 */
import { ClientError, type ClientErrorIssue as ErrorIssue, type PortCheckErrorCode } from '@golem-vm/protocol'

export type { ErrorIssue }

/** An error whose code and message are meant for the client; the message says what to fix. */
export class PortCheckError extends ClientError<PortCheckErrorCode> {
  override readonly name = 'PortCheckError'
}
