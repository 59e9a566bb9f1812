/**
 * The provider's error catalogue. Every failure a client can see has a stable
 * code here; `http/error-handler.ts` is the only place that maps codes to
 * HTTP statuses, and `docs/errors.md` documents each one (a test keeps them in step).
 *
 * @module
 */
import { ClientError, type ClientErrorIssue as ErrorIssue } from '@golem-vm/protocol'

export const ERROR_CODES = [
  'VALIDATION_FAILED',
  'IMAGE_NOT_AVAILABLE',
  'VM_NOT_FOUND',
  'VM_NAME_TAKEN',
  'VM_NAME_AMBIGUOUS',
  'VM_BUSY',
  'INSUFFICIENT_RESOURCES',
  'VM_LIMIT_REACHED',
  'RENTER_QUOTA_EXCEEDED',
  'NO_FREE_PORT',
  'PORT_RESERVED',
  'PORT_DUPLICATE',
  'TOO_MANY_PORTS',
  'UDP_NOT_OFFERED',
  'PORTS_NOT_OFFERED',
  'PORT_NOT_FOUND',
  'PORT_UNAVAILABLE',
  'UNAUTHORIZED',
  'RATE_LIMITED',
  'PAYLOAD_TOO_LARGE',
  'REQUEST_TIMEOUT',
  'UNSUPPORTED_MEDIA_TYPE',
  'ROUTE_NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'BACKEND_FAILED',
  'BACKEND_TIMEOUT',
  'BACKEND_UNAVAILABLE',
  'SHUTTING_DOWN',
  'STORAGE_FULL',
  'INTERNAL',
  'PAYMENT_REQUIRED',
  'PAYMENT_STREAM_NOT_FOUND',
  'PAYMENT_WRONG_RECIPIENT',
  'PAYMENT_WRONG_TOKEN',
  'PAYMENT_WRONG_VM',
  'PAYMENT_WRONG_PAYER',
  'PAYMENT_RATE_TOO_LOW',
  'PAYMENT_RUNWAY_TOO_SHORT',
  'PAYMENT_STREAM_ENDED',
  'PAYMENT_STREAM_USED',
  'PAYMENT_EXPIRED',
  'PAYMENT_NOT_ACCEPTED',
  'PAYMENT_UNAVAILABLE',
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

export type { ErrorIssue }

/** An error whose code and message are meant for the client. */
export class ProviderError extends ClientError<ErrorCode> {
  override readonly name = 'ProviderError'
}
