/**
 * The one place that knows HTTP statuses: every error becomes a JSON body
 * `{code, message, detail, issues?}` with the status of its code. A request
 * never gets a plain-text 500.
 *
 * @module
 */
import { errorHandling, type RequestFault, type SchemaIssue } from '@golem-vm/common/error-handler'
import type { ErrorBody } from '@golem-vm/protocol'
import { ProviderError, type ErrorCode, type ErrorIssue } from '../domain/errors.js'

export const STATUS = {
  VALIDATION_FAILED: 400,
  IMAGE_NOT_AVAILABLE: 400,
  PORT_RESERVED: 400,
  PORT_DUPLICATE: 400,
  TOO_MANY_PORTS: 400,
  UDP_NOT_OFFERED: 400,
  PORTS_NOT_OFFERED: 400,
  UNAUTHORIZED: 401,
  VM_NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  PORT_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  VM_NAME_TAKEN: 409,
  VM_NAME_AMBIGUOUS: 409,
  VM_BUSY: 409,
  INSUFFICIENT_RESOURCES: 409,
  VM_LIMIT_REACHED: 409,
  RENTER_QUOTA_EXCEEDED: 409,
  NO_FREE_PORT: 409,
  REQUEST_TIMEOUT: 408,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  PAYMENT_REQUIRED: 402,
  PAYMENT_STREAM_NOT_FOUND: 402,
  PAYMENT_WRONG_RECIPIENT: 402,
  PAYMENT_WRONG_TOKEN: 402,
  PAYMENT_WRONG_VM: 402,
  PAYMENT_WRONG_PAYER: 402,
  PAYMENT_RATE_TOO_LOW: 402,
  PAYMENT_RUNWAY_TOO_SHORT: 402,
  PAYMENT_STREAM_ENDED: 402,
  PAYMENT_STREAM_USED: 402,
  PAYMENT_EXPIRED: 402,
  PAYMENT_NOT_ACCEPTED: 400,
  PAYMENT_UNAVAILABLE: 503,
  INTERNAL: 500,
  BACKEND_FAILED: 502,
  BACKEND_UNAVAILABLE: 503,
  PORT_UNAVAILABLE: 503,
  SHUTTING_DOWN: 503,
  BACKEND_TIMEOUT: 504,
  STORAGE_FULL: 507,
} as const satisfies Record<ErrorCode, number>

export function errorBody(code: ErrorCode, message: string, issues: readonly ErrorIssue[] = []): ErrorBody {
  return issues.length > 0 ? { code, message, detail: message, issues: [...issues] } : { code, message, detail: message }
}

// Fastify's own request failures in the provider's codes.
function fromFault(fault: RequestFault, message: string): ProviderError {
  switch (fault) {
    case 'media-type':
      return new ProviderError('UNSUPPORTED_MEDIA_TYPE', 'send the body as JSON with Content-Type: application/json')
    case 'too-large':
      return new ProviderError('PAYLOAD_TOO_LARGE', 'the request body is too large')
    case 'rate-limited':
      return new ProviderError('RATE_LIMITED', message)
    case 'timeout':
      return new ProviderError('REQUEST_TIMEOUT', `${message}: send the headers and the body within the request deadline (REQUEST_TIMEOUT)`)
    case 'malformed':
      return new ProviderError('VALIDATION_FAILED', `the request is invalid: ${message}`)
    default:
      return new ProviderError('VALIDATION_FAILED', `the request body is not valid JSON: ${message}`)
  }
}

// Every schema problem, each with the request part and path, in one VALIDATION_FAILED.
function validationError(problems: readonly SchemaIssue[]): ProviderError {
  const issues = problems.map((p) => ({ path: [p.part, ...p.path].join('.'), message: p.message }))
  return new ProviderError('VALIDATION_FAILED', `the request is invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues)
}

/** The provider's error handling: classify, answer with the code's status, log only what the client cannot fix. */
export const providerErrors = errorHandling<ErrorCode, ProviderError>({
  status: STATUS,
  isOwn: (error): error is ProviderError => error instanceof ProviderError,
  invalid: validationError,
  fault: fromFault,
  internal: (cause) => new ProviderError('INTERNAL', 'the provider failed unexpectedly; the operator can find the details in its log', [], { cause }),
  body: (error) => errorBody(error.code, error.message, error.issues),
  notFound: (req) => new ProviderError('ROUTE_NOT_FOUND', `Not Found: no route ${req.method} ${req.url.split('?')[0] ?? ''}; see /docs`),
})
