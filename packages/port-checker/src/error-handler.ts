/**
 * The one place that maps errors to HTTP statuses and error bodies. Every
 * error a client sees is JSON `{code, message, detail, issues?}`, never
 * plain text, whatever threw it.
 *
 * @module
 */
import type { PortCheckErrorBody, PortCheckErrorCode } from '@golem-vm/protocol'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod'
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

const issuePath = (instancePath: string): string => instancePath.split('/').filter(Boolean).join('.')

// Lists every schema problem, each with where it is, in one VALIDATION_FAILED.
function validationError(issues: readonly ErrorIssue[]): PortCheckError {
  const summary = issues.map((i) => `${i.path === '' ? 'body' : i.path}: ${i.message}`).join('; ')
  return new PortCheckError('VALIDATION_FAILED', `the request body is invalid: ${summary}`, issues)
}

const isFastifyError = (error: unknown): error is FastifyError =>
  error instanceof Error && typeof (error as Partial<FastifyError>).code === 'string'

// Fastify's own errors (body parsing, limits) in our codes; anything unknown is INTERNAL.
function fromFastifyError(error: FastifyError): PortCheckError {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new PortCheckError('PAYLOAD_TOO_LARGE', 'the request body is too large; send at most the allowed number of ports')
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new PortCheckError('UNSUPPORTED_MEDIA_TYPE', 'send the body as JSON with Content-Type: application/json')
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return validationError([{ path: '', message: 'is empty; send a JSON object with provider_ip and ports' }])
    default:
      break
  }
  const status = error.statusCode ?? 500
  if (status === 400) return validationError([{ path: '', message: `is not valid JSON (${error.message})` }])
  return new PortCheckError('INTERNAL', 'the port checker failed unexpectedly; try again later', [], { cause: error })
}

/** Classifies anything thrown during a request as a {@link PortCheckError}. */
export function toPortCheckError(error: unknown): PortCheckError {
  if (error instanceof PortCheckError) return error
  if (hasZodFastifySchemaValidationErrors(error)) {
    return validationError(error.validation.map((v) => ({ path: issuePath(v.instancePath), message: v.message ?? 'is invalid' })))
  }
  if (error instanceof SyntaxError && (error as Partial<FastifyError>).statusCode === 400) {
    return validationError([{ path: '', message: `is not valid JSON (${error.message})` }])
  }
  if (isFastifyError(error)) return fromFastifyError(error)
  return new PortCheckError('INTERNAL', 'the port checker failed unexpectedly; try again later', [], { cause: error })
}

/** The JSON body for an error: `detail` repeats `message` for clients of the original. */
export function toErrorBody(error: PortCheckError): PortCheckErrorBody {
  const body: PortCheckErrorBody = { code: error.code, message: error.message, detail: error.message }
  return error.issues.length > 0 ? { ...body, issues: [...error.issues] } : body
}

/** Fastify error handler: logs server faults, answers with the code's status and a JSON body. */
export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const mapped = toPortCheckError(error)
  const status = ERROR_STATUS[mapped.code]
  if (mapped.code === 'INTERNAL') request.log.error({ err: error }, 'request failed')
  else request.log.info({ code: mapped.code }, mapped.message)
  return reply.code(status).type('application/json; charset=utf-8').send(toErrorBody(mapped))
}
