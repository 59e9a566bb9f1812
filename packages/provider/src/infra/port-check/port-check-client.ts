/**
 * Client of a port-check server (`POST /check-ports`): asks it to connect to
 * some of this host's ports from outside. Works with this project's server
 * and with the original 0.1.21 checker. Never throws for a server problem: a
 * failure is a value with a readable reason, so one broken server cannot stop
 * the others.
 *
 * @module
 */
import { parseJsonOrUndefined } from '@golem-vm/common'
import { deadlineSignal } from '@golem-vm/common'
import { CheckPortsResponseCompat, PortCheckErrorBody } from '@golem-vm/protocol'
import type { PortCheckFailureKind, PortCheckFn, PortCheckResult } from '../../app/ports/port-check.js'

/** How long one request may take unless the caller says otherwise (the original's 30 s). */
export const DEFAULT_PORT_CHECK_TIMEOUT_MS = 30_000

export interface PortCheckOptions {
  /** Gives up after this long (default {@link DEFAULT_PORT_CHECK_TIMEOUT_MS}). */
  readonly timeoutMs?: number
}

const MAX_BODY_TEXT = 160

const failure = (kind: PortCheckFailureKind, reason: string, extra: { status?: number; code?: string } = {}): PortCheckResult =>
  ({ ok: false, kind, reason, ...extra })

// Node's fetch hides the socket error (ECONNREFUSED, ENOTFOUND) in `cause`; that is the readable part.
function networkReason(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined
  if (typeof cause?.code === 'string') return `cannot connect (${cause.code})`
  // fetch refuses some well-known ports (WHATWG "bad ports", e.g. 9, 6000) before connecting.
  if (cause?.message === 'bad port') return 'cannot connect: fetch refuses this port (a WHATWG "bad port"); run the checker on another port'
  if (typeof cause?.message === 'string') return `cannot connect (${cause.message})`
  return `cannot connect (${error instanceof Error ? error.message : String(error)})`
}

// Names the error body's code and message when the server sent ours, else the first bytes of the text.
function httpFailure(status: number, text: string): PortCheckResult {
  const json = parseJsonOrUndefined(text)
  const body = PortCheckErrorBody.safeParse(json)
  if (body.success) return failure('http', `HTTP ${status} ${body.data.code}: ${body.data.message}`, { status, code: body.data.code })
  const snippet = text.trim().replace(/\s+/g, ' ').slice(0, MAX_BODY_TEXT)
  return failure('http', `HTTP ${status}${snippet === '' ? '' : `: ${snippet}`}`, { status })
}

function parseBody(text: string): PortCheckResult {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return failure('bad-body', `the answer is not JSON: ${text.trim().slice(0, MAX_BODY_TEXT)}`)
  }
  const parsed = CheckPortsResponseCompat.safeParse(json)
  if (parsed.success) return { ok: true, response: parsed.data }
  const issues = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || 'body'}: ${i.message}`)
  return failure('bad-body', `the answer is not a port-check result (${issues.join('; ')})`)
}

const endpoint = (serverUrl: string): string => `${serverUrl.replace(/\/+$/, '')}/check-ports`

/**
 * Asks the server at `serverUrl` (a base URL) whether it can connect to
 * `ports` of `providerIp`. Resolves with the validated body on a 2xx answer,
 * else with a failure naming the cause; one request, no retries. Gives up
 * after `opts.timeoutMs` or when `signal` aborts.
 */
export async function checkPorts(
  serverUrl: string,
  providerIp: string,
  ports: readonly number[],
  signal: AbortSignal,
  opts: PortCheckOptions = {},
): Promise<PortCheckResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_PORT_CHECK_TIMEOUT_MS
  const combined = deadlineSignal(timeoutMs, signal)
  try {
    const response = await fetch(endpoint(serverUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ provider_ip: providerIp, ports }),
      signal: combined,
    })
    const text = await response.text()
    return response.ok ? parseBody(text) : httpFailure(response.status, text)
  } catch (error) {
    if (combined.aborted && !signal.aborted) return failure('timeout', `no answer within ${formatSeconds(timeoutMs)}`)
    if (signal.aborted) return failure('aborted', 'the check was cancelled')
    return failure('unreachable', networkReason(error))
  }
}

const formatSeconds = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`)

/** A {@link PortCheckFn} with a fixed timeout, for wiring into the verification use case. */
export const portCheckClient = (opts: PortCheckOptions = {}): PortCheckFn =>
  (serverUrl, providerIp, ports, signal) => checkPorts(serverUrl, providerIp, ports, signal, opts)
