/**
 * The base of every service's client-facing error: a stable code, a message
 * that says what to fix, and (for validation) every problem found.
 *
 * @module
 */

/** One problem with a request: where (`body.name`, empty for the whole body) and what. */
export interface ClientErrorIssue {
  readonly path: string
  readonly message: string
}

/** An error whose code and message are meant for the client. Each service names its own subclass and codes. */
export class ClientError<Code extends string, Issue = ClientErrorIssue> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    readonly issues: readonly Issue[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}
