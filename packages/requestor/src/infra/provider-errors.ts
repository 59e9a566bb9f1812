/**
 * Turns a provider's error answers and transport failures into requestor
 * errors whose message says what happened and what to do. Two dialects are
 * read: this project's `{code, message}` (codes in docs/errors.md) and the
 * original 0.1.21's `{"detail": "…"}`, its 422 lists and its plain-text 500.
 * A route the provider does not have (the original has no start and stop)
 * is reported as an operation it does not support, not as a missing VM.
 *
 * @module
 */
import { RequestorError, type RequestorErrorCode } from '../domain/errors.js'
import { cleanText } from '../domain/terminal-text.js'
import type { TransportError } from '@golem-vm/common/http-request'

/** What the renter was doing, for messages: `stop` → "stopping VMs". */
export interface Operation {
  /** "stopping VMs", "creating the VM", … */
  readonly doing: string
  /** True for the operations an original 0.1.21 provider does not have (start, stop). */
  readonly optional: boolean
  /** True when the operation changes something, so a lost answer leaves its outcome open. */
  readonly changes: boolean
}

/** How each provider error code is reported: our code, and advice appended to the provider's message. */
const PROVIDER_CODES: Record<string, { code: RequestorErrorCode; advice: string }> = {
  VALIDATION_FAILED: { code: 'INVALID_REQUEST', advice: 'fix the request as the provider says' },
  IMAGE_NOT_AVAILABLE: { code: 'INVALID_REQUEST', advice: 'pick one of the images the provider lists with --image' },
  PAYLOAD_TOO_LARGE: { code: 'INVALID_REQUEST', advice: 'the request is too large for this provider' },
  UNSUPPORTED_MEDIA_TYPE: { code: 'INVALID_REQUEST', advice: 'this provider may run an incompatible version' },
  UNAUTHORIZED: {
    code: 'UNAUTHORIZED',
    advice: "check that your clock is right (within 2 minutes) and that the provider id is the provider's own address; then try again",
  },
  VM_NOT_FOUND: { code: 'VM_NOT_FOUND', advice: 'the VM was deleted, or it was created with another identity (identity.json in the data dir)' },
  VM_NAME_TAKEN: { code: 'NAME_TAKEN', advice: 'choose another name' },
  VM_BUSY: { code: 'VM_BUSY', advice: 'wait until its current operation ends (golem-vm info shows the status), then try again' },
  INSUFFICIENT_RESOURCES: {
    code: 'CAPACITY_GONE',
    advice: 'the capacity was taken since it was advertised; choose a smaller size or another provider (golem-vm providers)',
  },
  VM_LIMIT_REACHED: { code: 'CAPACITY_GONE', advice: 'choose another provider (golem-vm providers)' },
  NO_FREE_PORT: { code: 'CAPACITY_GONE', advice: 'choose another provider (golem-vm providers)' },
  PORT_RESERVED: { code: 'INVALID_REQUEST', advice: "port 22 is the VM's SSH port already; ask for other ports" },
  PORT_DUPLICATE: { code: 'INVALID_REQUEST', advice: 'golem-vm ports NAME lists the mappings the VM has' },
  TOO_MANY_PORTS: { code: 'INVALID_REQUEST', advice: 'ask for fewer ports (golem-vm providers shows how many a VM can get)' },
  UDP_NOT_OFFERED: { code: 'INVALID_REQUEST', advice: 'ask for TCP ports, or choose a provider that offers UDP (golem-vm providers)' },
  PORTS_NOT_OFFERED: { code: 'INVALID_REQUEST', advice: 'choose a provider that offers ports (golem-vm providers)' },
  PORT_NOT_FOUND: { code: 'VM_NOT_FOUND', advice: 'golem-vm ports NAME lists the public ports the VM has' },
  RATE_LIMITED: { code: 'RATE_LIMITED', advice: 'wait a minute and try again' },
  PAYMENT_REQUIRED: { code: 'PAYMENT_REFUSED', advice: 'pay for it with --hours' },
  PAYMENT_STREAM_NOT_FOUND: { code: 'PAYMENT_REFUSED', advice: 'the provider reads another chain than yours, or the stream is not mined yet; try again' },
  PAYMENT_WRONG_RECIPIENT: { code: 'PAYMENT_REFUSED', advice: "the advertisement's provider id and the provider disagree; choose another provider" },
  PAYMENT_WRONG_TOKEN: { code: 'PAYMENT_REFUSED', advice: 'the provider changed its token; list providers again' },
  PAYMENT_WRONG_VM: { code: 'PAYMENT_REFUSED', advice: 'try again' },
  PAYMENT_WRONG_PAYER: { code: 'PAYMENT_REFUSED', advice: 'streams are opened by your identity; try again' },
  PAYMENT_RATE_TOO_LOW: { code: 'PAYMENT_REFUSED', advice: 'the provider raised its price since it was advertised; list providers again' },
  PAYMENT_RUNWAY_TOO_SHORT: { code: 'PAYMENT_REFUSED', advice: 'ask for more --hours' },
  PAYMENT_STREAM_ENDED: { code: 'PAYMENT_REFUSED', advice: 'try again' },
  PAYMENT_STREAM_USED: { code: 'PAYMENT_REFUSED', advice: 'try again with another name' },
  PAYMENT_EXPIRED: { code: 'PAYMENT_REFUSED', advice: 'golem-vm topup NAME --hours N pays for more time; the provider then starts the VM itself' },
  PAYMENT_NOT_ACCEPTED: { code: 'INVALID_REQUEST', advice: 'this provider is free; create the VM without --hours' },
  PAYMENT_UNAVAILABLE: { code: 'PAYMENT_CHAIN_UNAVAILABLE', advice: 'the provider cannot read its payment chain right now; try again later' },
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
  if (status === 400 || status === 413 || status === 415 || status === 422) return { code: 'INVALID_REQUEST', advice: 'fix the request as the provider says' }
  if (status === 503) return { code: 'PROVIDER_TIMEOUT', advice: 'the provider is overloaded or restarting; try again in a minute' }
  return { code: 'PROVIDER_FAILED', advice: 'try again later, or choose another provider (golem-vm providers)' }
}

interface Body {
  code?: unknown
  message?: unknown
  detail?: unknown
  issues?: unknown
}
const asBody = (json: unknown): Body => (typeof json === 'object' && json !== null && !Array.isArray(json) ? json : {})

// The original's 422 list: [{"loc": ["body", "name"], "msg": "…"}, …] → "name: …; …".
function validationList(detail: unknown): string | undefined {
  if (!Array.isArray(detail)) return undefined
  return (detail as { loc?: unknown; msg?: unknown }[])
    .map((d) => {
      const loc = Array.isArray(d.loc) ? d.loc.filter((part) => part !== 'body').join('.') : ''
      return `${loc === '' ? '' : `${loc}: `}${String(d.msg)}`
    })
    .join('; ')
}

// Our issues list: [{"path": "resources", "message": "…"}, …].
function issueList(issues: unknown): string {
  if (!Array.isArray(issues)) return ''
  return (issues as { path?: unknown; message?: unknown }[]).map((i) => `${String(i.path)}: ${String(i.message)}`).join('; ')
}

// The provider's own words: `message`, else the original's `detail` (a string, or a validation list).
function providerMessage(json: unknown): { code?: string; message: string } {
  const body = asBody(json)
  const detail = typeof body.detail === 'string' ? body.detail : validationList(body.detail)
  const text = typeof body.message === 'string' ? body.message : (detail ?? '')
  const issues = issueList(body.issues)
  const message = `${text}${issues === '' || text.includes(issues) ? '' : ` (${issues})`}`
  return { ...(typeof body.code === 'string' ? { code: cleanText(body.code.slice(0, 64)) } : {}), message: cleanText(message.slice(0, 500)) }
}

// A missing route: our ROUTE_NOT_FOUND / METHOD_NOT_ALLOWED, or the framework default the original answers with.
function isMissingRoute(status: number, json: unknown): boolean {
  const body = asBody(json)
  if (status !== 404 && status !== 405) return false
  if (body.code === 'ROUTE_NOT_FOUND' || body.code === 'METHOD_NOT_ALLOWED') return true
  return body.code === undefined && (body.detail === 'Not Found' || body.detail === 'Method Not Allowed')
}

// The first line of a plain-text answer, for the message ("Internal Server Error").
const plainText = (text: string): string => cleanText((text.split('\n')[0] ?? '').trim().slice(0, 120))

/**
 * The requestor error for a provider's answer that is not a success: a
 * status outside 2xx, or a body that is not JSON.
 */
export function errorFromResponse(status: number, json: unknown, text: string, baseUrl: string, op: Operation): RequestorError {
  if (isMissingRoute(status, json)) {
    return op.optional
      ? new RequestorError('NOT_SUPPORTED', `the provider at ${baseUrl} does not support ${op.doing}`)
      : new RequestorError('PROVIDER_FAILED', `the provider at ${baseUrl} has no route for ${op.doing} (HTTP ${status}); it runs an incompatible version`)
  }
  if (json === undefined) {
    const said = plainText(text)
    if (status >= 500) {
      return new RequestorError(
        byStatus(status).code,
        `the provider at ${baseUrl} failed while ${op.doing} (HTTP ${status}${said === '' ? '' : `: ${said}`}); try again later, or choose another provider (golem-vm providers)`,
      )
    }
    return new RequestorError(
      'BAD_RESPONSE',
      `the provider at ${baseUrl} answered ${op.doing} with HTTP ${status} and no JSON; it may run an incompatible version, or something else listens there`,
    )
  }
  const said = providerMessage(json)
  const mapping = (said.code === undefined ? undefined : PROVIDER_CODES[said.code]) ?? byStatus(status)
  const tag = said.code === undefined ? `HTTP ${status}` : said.code
  const verb = status >= 500 ? 'failed' : 'refused'
  return new RequestorError(mapping.code, `the provider ${verb}: ${said.message === '' ? tag : said.message} [${tag}]; ${mapping.advice}`)
}

/** The requestor error for a request that got no complete answer. */
export function transportError(error: TransportError, baseUrl: string, op: Operation): RequestorError {
  if (error.kind === 'aborted') return new RequestorError('INTERRUPTED', `interrupted while ${op.doing}`)
  if (error.kind === 'timeout') {
    const open = op.changes ? '; it may still finish: golem-vm info asks it later' : '; try again later'
    return new RequestorError('PROVIDER_TIMEOUT', `the provider at ${baseUrl} did not answer in time while ${op.doing} (${error.reason})${open}`)
  }
  if (error.kind === 'too-large')
    return new RequestorError(
      'BAD_RESPONSE',
      `the provider at ${baseUrl} answered ${op.doing} with too much data (${error.reason}); it may run an incompatible version`,
    )
  return new RequestorError(
    'PROVIDER_UNREACHABLE',
    `the provider at ${baseUrl} is unreachable (${error.reason}); it may be offline or behind a firewall: try again later, or choose another provider (golem-vm providers)`,
  )
}
