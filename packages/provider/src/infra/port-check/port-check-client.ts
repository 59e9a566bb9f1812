/**
 * Client of a port-check server (`POST /check-ports`): asks it to connect to
 * some of this host's ports from outside. Works with this project's server
 * and with the original 0.1.21 checker. Never throws for a server problem: a
 * failure is a value with a readable reason, so one broken server cannot stop
 * the others. The answer is read up to {@link MAX_ANSWER_BYTES} within the
 * deadline: a server cannot make the provider buffer an endless answer.
 *
 * @module
 */
import { parseJsonOrUndefined } from '@golem-vm/common'
import { httpRequest, TransportError } from '@golem-vm/common/http-request'
import { CheckPortsResponseCompat, PortCheckErrorBody } from '@golem-vm/protocol'
import type { PortCheckFailureKind, PortCheckFn, PortCheckResult } from '../../app/ports/port-check.js'

/** How long one request may take unless the caller says otherwise (the original's 30 s). */
export const DEFAULT_PORT_CHECK_TIMEOUT_MS = 30_000

export interface PortCheckOptions {
  /** Gives up after this long (default {@link DEFAULT_PORT_CHECK_TIMEOUT_MS}). */
  readonly timeoutMs?: number
}

const MAX_BODY_TEXT = 160
/** The largest answer read: a check of 65,535 ports is about 4 MiB of JSON; the default 128 ports, 10 kB. */
export const MAX_ANSWER_BYTES = 4 * 1024 * 1024

const failure = (kind: PortCheckFailureKind, reason: string, extra: { status?: number; code?: string } = {}): PortCheckResult => ({
  ok: false,
  kind,
  reason,
  ...extra,
})

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
  const url = new URL(endpoint(serverUrl))
  try {
    const response = await httpRequest({
      method: 'POST',
      baseUrl: url.origin,
      path: url.pathname,
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify({ provider_ip: providerIp, ports })),
      timeoutMs,
      maxResponseBytes: MAX_ANSWER_BYTES,
      signal,
    })
    const ok = response.status >= 200 && response.status < 300
    return ok ? parseBody(response.body) : httpFailure(response.status, response.body)
  } catch (error) {
    if (!(error instanceof TransportError)) throw error
    if (error.kind === 'timeout') return failure('timeout', `no answer within ${formatSeconds(timeoutMs)}`)
    if (error.kind === 'aborted') return failure('aborted', 'the check was cancelled')
    if (error.kind === 'too-large') return failure('bad-body', `the answer is larger than ${MAX_ANSWER_BYTES} bytes; it was not read`)
    return failure('unreachable', `cannot connect (${error.reason})`)
  }
}

const formatSeconds = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`)

/** A {@link PortCheckFn} with a fixed timeout, for wiring into the verification use case. */
export const portCheckClient =
  (opts: PortCheckOptions = {}): PortCheckFn =>
  (serverUrl, providerIp, ports, signal) =>
    checkPorts(serverUrl, providerIp, ports, signal, opts)
