/**
 * The one place that maps error codes to HTTP statuses and renders every
 * error as JSON: `{"code","message","detail":{"code","message","issues"?}}`,
 * which keeps the original's `detail` object.
 *
 * @module
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { errorHandling, type RequestFault, type SchemaIssue } from '@golem-vm/common/error-handler'
import { API_PREFIX, type DiscoveryErrorBody, type DiscoveryIssue } from '@golem-vm/protocol'
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

const LOCATION: Record<SchemaIssue['part'], string> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' }

// Turns the zod validation failure of one request part into the original's 422 entries, all of them.
function validationError(problems: readonly SchemaIssue[]): DiscoveryError {
  const issues = problems.map((p) => ({ loc: [LOCATION[p.part], ...p.path], msg: p.message, type: p.keyword }))
  const summary = issues.map((i) => `${i.loc.join('.')}: ${i.msg}`).join('; ')
  return new DiscoveryError('ADV_005', `Request validation failed (${issues.length} problem${issues.length === 1 ? '' : 's'}): ${summary}`, issues)
}

// Fastify's own request failures in the original's codes.
function fromFault(fault: RequestFault, message: string): DiscoveryError {
  switch (fault) {
    case 'media-type':
      return new DiscoveryError('ADV_007', 'Unsupported content type: send the body as application/json')
    case 'too-large':
      return new DiscoveryError('ADV_008', 'The request body is too large; an advertisement is a few hundred bytes')
    case 'content-length':
      return new DiscoveryError('ADV_006', 'The Content-Length header does not match the body')
    case 'rate-limited':
      return new DiscoveryError('RATE_001', message)
    default:
      return new DiscoveryError('ADV_006', `Malformed request: ${message}`)
  }
}

// By severity: a store outage (503) is logged once by the store and asks the client to retry; refusals are info or debug.
function logError(mapped: DiscoveryError, status: number, request: FastifyRequest, reply: FastifyReply, thrown: unknown): void {
  if (status === 503) {
    request.log.debug({ code: mapped.code, url: request.url }, mapped.message)
    void reply.header('retry-after', '5')
  } else if (status >= 500) request.log.error({ err: mapped.cause ?? thrown, code: mapped.code }, mapped.message)
  else if (status === 401)
    request.log.info({ code: mapped.code, url: request.url, provider: request.headers['x-provider-id'] }, 'request refused: %s', mapped.message)
  else request.log.debug({ code: mapped.code, url: request.url }, mapped.message)
}

/** Discovery's error handling: classify, answer with the code's status and the original's body, log by severity. */
export const discoveryErrors = errorHandling<ErrorCode, DiscoveryError>({
  status: STATUS_OF,
  isOwn: (error): error is DiscoveryError => error instanceof DiscoveryError,
  invalid: validationError,
  fault: fromFault,
  internal: (cause) => new DiscoveryError('SERVER_001', 'Unexpected server error; the service log has the details', [], { cause }),
  body: (error) => errorBody(error.code, error.message, error.issues),
  notFound: (request) =>
    new DiscoveryError('ROUTE_001', `Not Found: no route ${request.method} ${request.url.split('?')[0] ?? ''}; see ${API_PREFIX}/openapi.json`),
  onError: logError,
})

/** Converts anything thrown while handling a request into a catalogued error. */
export const toDiscoveryError = discoveryErrors.classify
