/**
 * The one place that maps error codes to HTTP statuses and renders every
 * error as JSON: `{"code","message","detail":{"code","message","issues"?}}`,
 * which keeps the original's `detail` object.
 *
 * @module
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod'
import type { DiscoveryErrorBody, DiscoveryIssue } from '@golem-vm/protocol'
import { DiscoveryError, type ErrorCode } from '../domain/errors.js'

/** HTTP status of every error code. */
export const STATUS_OF: Readonly<Record<ErrorCode, number>> = {
  ADV_001: 500,
  ADV_002: 400,
  ADV_003: 500,
  ADV_004: 404,
  ADV_005: 422,
  ADV_006: 400,
  ADV_007: 415,
  ADV_008: 413,
  ADV_009: 403,
  ADV_010: 422,
  ADV_011: 409,
  AUTH_001: 401,
  AUTH_002: 401,
  AUTH_003: 401,
  AUTH_004: 401,
  AUTH_005: 401,
  AUTH_006: 401,
  AUTH_007: 401,
  AUTH_008: 401,
  RATE_001: 429,
  ROUTE_001: 404,
  SERVER_001: 500,
  SERVER_002: 503,
}

/** The JSON body for an error. */
export function errorBody(code: ErrorCode, message: string, issues: readonly DiscoveryIssue[] = []): DiscoveryErrorBody {
  const detail = issues.length > 0 ? { code, message, issues: [...issues] } : { code, message }
  return { code, message, detail }
}

const LOCATION: Record<string, string> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' }

// Turns the zod validation failure of one request part into the original's 422 entries, all of them.
function validationError(error: FastifyError & { validation: { instancePath: string; message?: string; keyword: string }[] }): DiscoveryError {
  const where = LOCATION[error.validationContext ?? 'body'] ?? 'body'
  const issues = error.validation.map((v) => ({
    loc: [where, ...v.instancePath.split('/').filter((part) => part !== '')],
    msg: v.message ?? 'is invalid',
    type: v.keyword,
  }))
  const summary = issues.map((i) => `${i.loc.join('.')}: ${i.msg}`).join('; ')
  return new DiscoveryError('ADV_005', `Request validation failed (${issues.length} problem${issues.length === 1 ? '' : 's'}): ${summary}`, issues)
}

const FASTIFY_CODES: Readonly<Record<string, { code: ErrorCode; message: string }>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'ADV_007', message: 'Unsupported content type: send the body as application/json' },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'ADV_008', message: 'The request body is too large; an advertisement is a few hundred bytes' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'ADV_006', message: 'The Content-Length header does not match the body' },
}

/** Converts anything thrown while handling a request into a catalogued error. */
export function toDiscoveryError(error: unknown): DiscoveryError {
  if (error instanceof DiscoveryError) return error
  if (hasZodFastifySchemaValidationErrors(error)) return validationError(error)
  const fastifyError = error as Partial<FastifyError>
  const known = FASTIFY_CODES[fastifyError.code ?? '']
  if (known !== undefined) return new DiscoveryError(known.code, known.message)
  const status = fastifyError.statusCode ?? 500
  if (status >= 400 && status < 500) {
    return new DiscoveryError('ADV_006', `Malformed request: ${fastifyError.message ?? 'unreadable'}`)
  }
  return new DiscoveryError('SERVER_001', 'Unexpected server error; the service log has the details', [], { cause: error })
}

/** Fastify error handler: logs by severity and replies with the mapped status and JSON body. */
export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const mapped = toDiscoveryError(error)
  const status = STATUS_OF[mapped.code]
  if (status === 503) {
    request.log.debug({ code: mapped.code, url: request.url }, mapped.message) // the store logs the outage once
    void reply.header('retry-after', '5')
  } else if (status >= 500) request.log.error({ err: mapped.cause ?? error, code: mapped.code }, mapped.message)
  else if (status === 401) request.log.info({ code: mapped.code, url: request.url, provider: request.headers['x-provider-id'] }, 'request refused: %s', mapped.message)
  else request.log.debug({ code: mapped.code, url: request.url }, mapped.message)
  return reply.code(status).type('application/json').send(errorBody(mapped.code, mapped.message, mapped.issues))
}
