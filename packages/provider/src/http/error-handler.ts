/**
 * The one place that knows HTTP statuses: every error becomes a JSON body
 * `{code, message, detail, issues?}` with the status of its code. A request
 * never gets a plain-text 500.
 *
 * @module
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod'
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
  VM_BUSY: 409,
  INSUFFICIENT_RESOURCES: 409,
  VM_LIMIT_REACHED: 409,
  NO_FREE_PORT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  BACKEND_FAILED: 502,
  BACKEND_UNAVAILABLE: 503,
  PORT_UNAVAILABLE: 503,
  SHUTTING_DOWN: 503,
  BACKEND_TIMEOUT: 504,
} as const satisfies Record<ErrorCode, number>

export function errorBody(code: ErrorCode, message: string, issues: readonly ErrorIssue[] = []): ErrorBody {
  return issues.length > 0 ? { code, message, detail: message, issues: [...issues] } : { code, message, detail: message }
}

// Fastify's own request errors (bad JSON, wrong content type, body too large) by their codes.
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'VALIDATION_FAILED',
  FST_ERR_CTP_INVALID_JSON_BODY: 'VALIDATION_FAILED',
}

/** Maps any error to the client's answer; logs only what the client cannot fix. */
export function classify(error: FastifyError | Error): { status: number; body: ErrorBody } {
  if (error instanceof ProviderError) {
    return { status: STATUS[error.code], body: errorBody(error.code, error.message, error.issues) }
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const issues = error.validation.map((v) => ({
      path: [error.validationContext, ...v.instancePath.split('/').filter(Boolean)].join('.'),
      message: v.message ?? 'is invalid',
    }))
    const summary = issues.map((i) => `${i.path}: ${i.message}`).join('; ')
    return { status: 400, body: errorBody('VALIDATION_FAILED', `the request is invalid: ${summary}`, issues) }
  }
  const fastifyError = error as FastifyError
  const mapped = FASTIFY_CODES[fastifyError.code]
  if (mapped !== undefined) return { status: STATUS[mapped], body: errorBody(mapped, fixHint(mapped, error.message)) }
  if (fastifyError.statusCode === 429) return { status: 429, body: errorBody('RATE_LIMITED', error.message) }
  if (error instanceof SyntaxError || (fastifyError.statusCode !== undefined && fastifyError.statusCode < 500)) {
    return { status: 400, body: errorBody('VALIDATION_FAILED', `the request is invalid: ${error.message}`) }
  }
  return { status: 500, body: errorBody('INTERNAL', 'the provider failed unexpectedly; the operator can find the details in its log') }
}

function fixHint(code: ErrorCode, message: string): string {
  if (code === 'UNSUPPORTED_MEDIA_TYPE') return 'send the body as JSON with Content-Type: application/json'
  if (code === 'PAYLOAD_TOO_LARGE') return 'the request body is too large'
  return `the request body is not valid JSON: ${message}`
}

export function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { status, body } = classify(error)
  if (status === 500) request.log.error({ err: error, code: body.code }, 'request failed')
  else if (status >= 500) request.log.warn({ code: body.code, msg: body.message }, 'request failed')
  else request.log.info({ code: body.code, msg: body.message }, 'request refused')
  return reply.code(status).type('application/json').send(body)
}
