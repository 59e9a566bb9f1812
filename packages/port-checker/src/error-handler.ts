/**
 * The one place that maps errors to HTTP statuses and error bodies. Every
 * error a client sees is JSON `{code, message, detail, issues?}`, never
 * plain text, whatever threw it (`@golem-vm/common/error-handler` does the
 * classifying; this file says what the port checker answers).
 *
 * @module
 */
import type { PortCheckErrorBody, PortCheckErrorCode } from '@golem-vm/protocol'
import { errorHandling, type RequestFault } from '@golem-vm/common/error-handler'
import { PortCheckError, type ErrorIssue } from './errors.js'

/** The HTTP status of every error code; adding a code without a status fails the build. */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  TOO_MANY_PORTS: 400,
  HOSTNAME_NOT_ALLOWED: 400,
  HOSTNAME_NOT_RESOLVED: 400,
  FOREIGN_ADDRESS: 403,
  ROUTE_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  SHUTTING_DOWN: 503,
  INTERNAL: 500,
} as const satisfies Record<PortCheckErrorCode, number>

// Lists every schema problem, each with where it is, in one VALIDATION_FAILED.
function validationError(issues: readonly ErrorIssue[]): PortCheckError {
  const summary = issues.map((i) => `${i.path === '' ? 'body' : i.path}: ${i.message}`).join('; ')
  return new PortCheckError('VALIDATION_FAILED', `the request body is invalid: ${summary}`, issues)
}

// Fastify's own request failures in the port checker's codes.
function fromFault(fault: RequestFault, message: string): PortCheckError {
  switch (fault) {
    case 'too-large':
      return new PortCheckError('PAYLOAD_TOO_LARGE', 'the request body is too large; send at most the allowed number of ports')
    case 'media-type':
      return new PortCheckError('UNSUPPORTED_MEDIA_TYPE', 'send the body as JSON with Content-Type: application/json')
    case 'rate-limited':
      return new PortCheckError('RATE_LIMITED', message)
    case 'empty-body':
      return validationError([{ path: '', message: 'is empty; send a JSON object with provider_ip and ports' }])
    default:
      return validationError([{ path: '', message: `is not valid JSON (${message})` }])
  }
}

/** The JSON body for an error: `detail` repeats `message` for clients of the original. */
export function toErrorBody(error: PortCheckError): PortCheckErrorBody {
  const body: PortCheckErrorBody = { code: error.code, message: error.message, detail: error.message }
  return error.issues.length > 0 ? { ...body, issues: [...error.issues] } : body
}

/** The port checker's error handling: classify, answer with the code's status, log server faults. */
export const portCheckErrors = errorHandling<PortCheckErrorCode, PortCheckError>({
  status: ERROR_STATUS,
  isOwn: (error): error is PortCheckError => error instanceof PortCheckError,
  invalid: (issues) => validationError(issues.map((i) => ({ path: i.path.join('.'), message: i.message }))),
  fault: fromFault,
  internal: (cause) => new PortCheckError('INTERNAL', 'the port checker failed unexpectedly; try again later', [], { cause }),
  body: toErrorBody,
  contentType: 'application/json; charset=utf-8',
})

/** Classifies anything thrown during a request as a {@link PortCheckError}. */
export const toPortCheckError = portCheckErrors.classify
