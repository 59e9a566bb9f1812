/**
 * Turns the provider's error answers (`{code, message}`, codes listed in
 * docs/errors.md) and transport failures into requestor errors whose message
 * says what happened and what to do.
 *
 * @module
 */
import { RequestorError, type RequestorErrorCode } from '../domain/errors.js'
import type { TransportError } from './http.js'

/** How each provider error code is reported: our code, and advice appended to the provider's message. */
const PROVIDER_CODES: Record<string, { code: RequestorErrorCode; advice: string }> = {
  VALIDATION_FAILED: { code: 'INVALID_REQUEST', advice: 'fix the request as the provider says' },
  IMAGE_NOT_AVAILABLE: { code: 'INVALID_REQUEST', advice: 'pick one of the images the provider lists with --image' },
  PAYLOAD_TOO_LARGE: { code: 'INVALID_REQUEST', advice: 'the request is too large for this provider' },
  UNSUPPORTED_MEDIA_TYPE: { code: 'INVALID_REQUEST', advice: 'this provider may run an incompatible version' },
  UNAUTHORIZED: { code: 'UNAUTHORIZED', advice: 'check that your clock is right (within 2 minutes) and that the provider id is the provider\'s own address; then try again' },
  VM_NOT_FOUND: { code: 'VM_NOT_FOUND', advice: 'the VM was deleted, or it was created with another identity (identity.json in the data dir)' },
  ROUTE_NOT_FOUND: { code: 'PROVIDER_FAILED', advice: 'the provider does not support this operation; it may run an old version' },
  METHOD_NOT_ALLOWED: { code: 'PROVIDER_FAILED', advice: 'the provider does not support this operation; it may run an old version' },
  VM_NAME_TAKEN: { code: 'NAME_TAKEN', advice: 'choose another name' },
  VM_BUSY: { code: 'VM_BUSY', advice: 'wait until its current operation ends (golem-vm info shows the status), then try again' },
  INSUFFICIENT_RESOURCES: { code: 'CAPACITY_GONE', advice: 'the capacity was taken since it was advertised; choose a smaller size or another provider (golem-vm providers)' },
  VM_LIMIT_REACHED: { code: 'CAPACITY_GONE', advice: 'choose another provider (golem-vm providers)' },
  NO_FREE_PORT: { code: 'CAPACITY_GONE', advice: 'choose another provider (golem-vm providers)' },
  RATE_LIMITED: { code: 'RATE_LIMITED', advice: 'wait a minute and try again' },
  SHUTTING_DOWN: { code: 'PROVIDER_TIMEOUT', advice: 'the provider is restarting; try again in a minute' },
  INTERNAL: { code: 'PROVIDER_FAILED', advice: 'a defect on the provider; try again later or choose another provider' },
  BACKEND_FAILED: { code: 'PROVIDER_FAILED', advice: 'the provider undid the operation; try again, or choose another provider' },
  BACKEND_UNAVAILABLE: { code: 'PROVIDER_FAILED', advice: 'choose another provider' },
  PORT_UNAVAILABLE: { code: 'PROVIDER_FAILED', advice: 'the provider undid the operation; try again later' },
  BACKEND_TIMEOUT: { code: 'PROVIDER_FAILED', advice: 'the provider undid the operation; try again, or choose another provider' },
}

// Without a known code (an original provider, a proxy in between) the status decides.
function byStatus(status: number): { code: RequestorErrorCode; advice: string } {
  if (status === 401 || status === 403) return { code: 'UNAUTHORIZED', advice: 'the provider refused this identity' }
  if (status === 404) return { code: 'VM_NOT_FOUND', advice: 'the VM does not exist on this provider, or is not yours' }
  if (status === 409) return { code: 'NAME_TAKEN', advice: 'choose another name' }
  if (status === 429) return { code: 'RATE_LIMITED', advice: 'wait a minute and try again' }
  if (status === 400 || status === 413 || status === 415 || status === 422) return { code: 'INVALID_REQUEST', advice: 'the provider refused the request' }
  return { code: 'PROVIDER_FAILED', advice: 'try again later or choose another provider' }
}

// The provider's own words: `message`, else the original's `detail` (a string, or a validation list).
function providerMessage(json: unknown): { code?: string; message: string } {
  const body = (typeof json === 'object' && json !== null ? json : {}) as { code?: unknown; message?: unknown; detail?: unknown; issues?: unknown }
  const issues = Array.isArray(body.issues)
    ? (body.issues as { path?: unknown; message?: unknown }[]).map((i) => `${String(i.path)}: ${String(i.message)}`).join('; ')
    : ''
  const text = typeof body.message === 'string' ? body.message : typeof body.detail === 'string' ? body.detail : JSON.stringify(body.detail ?? '')
  const message = `${text}${issues === '' || text.includes(issues) ? '' : ` (${issues})`}`.slice(0, 500)
  return { ...(typeof body.code === 'string' ? { code: body.code } : {}), message }
}

/** The requestor error for a provider's non-2xx (or non-JSON) answer. */
export function errorFromResponse(status: number, json: unknown, baseUrl: string): RequestorError {
  if (json === undefined) {
    const kind = status >= 200 && status < 300 ? 'a non-JSON answer' : `HTTP ${status} without a JSON body`
    return new RequestorError(status === 404 ? 'VM_NOT_FOUND' : 'BAD_RESPONSE', `the provider at ${baseUrl} sent ${kind}; it may run an incompatible version, or something else listens there`)
  }
  const said = providerMessage(json)
  const mapping = (said.code === undefined ? undefined : PROVIDER_CODES[said.code]) ?? byStatus(status)
  const code = said.code === undefined ? `HTTP ${status}` : said.code
  return new RequestorError(mapping.code, `the provider refused: ${said.message || code} [${code}]; ${mapping.advice}`)
}

/** The requestor error for a request that got no complete answer. */
export function transportError(error: TransportError, baseUrl: string): RequestorError {
  if (error.kind === 'aborted') return new RequestorError('INTERRUPTED', 'interrupted')
  if (error.kind === 'timeout') {
    return new RequestorError('PROVIDER_TIMEOUT', `the provider at ${baseUrl} did not answer in time (${error.reason}); it may still finish the operation: check with golem-vm info`)
  }
  if (error.kind === 'too-large') return new RequestorError('BAD_RESPONSE', `the provider at ${baseUrl} sent an answer that is far too large; it may run an incompatible version`)
  return new RequestorError('PROVIDER_UNREACHABLE', `the provider at ${baseUrl} is unreachable (${error.reason}); it may be offline or behind a firewall: try again later, or choose another provider (golem-vm providers)`)
}
