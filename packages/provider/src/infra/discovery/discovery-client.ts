/**
 * HTTP client of the discovery service, as the provider uses it: publish,
 * withdraw and health. Every write is signed by the provider key for the
 * audience "discovery" over the exact body bytes sent (see
 * `@golem-vm/protocol` signing.ts). Each request has its own timeout; every
 * failure is a {@link DiscoveryClientError} that says whether repeating the
 * same request can help.
 *
 * @module
 */
import { deadlineSignal, parseJsonOrUndefined } from '@golem-vm/common'
import {
  ADVERTISEMENTS_PATH,
  AdvertisementFromAnyServer,
  DISCOVERY_AUDIENCE,
  DiscoveryHealth,
  advertisementPath,
  discoveryAuthHeaders,
  signRequest,
  type AdvertisementBody,
  type RequestSigner,
} from '@golem-vm/protocol'

/** Stable codes of discovery failures. */
export type DiscoveryFailureCode =
  | 'DISCOVERY_UNREACHABLE' // no connection, DNS or socket error
  | 'DISCOVERY_TIMEOUT' // no complete answer within the timeout
  | 'DISCOVERY_UNAVAILABLE' // 5xx, 429 or 408: the service is overloaded or failing
  | 'DISCOVERY_REFUSED' // another 4xx: the request itself is refused (bad signature, invalid body)
  | 'DISCOVERY_BAD_RESPONSE' // a 2xx whose body is not what the API promises, or a redirect
  | 'DISCOVERY_ABORTED' // the caller aborted (shutdown)

/** A failed discovery request. `retryable` is true when the same request may succeed later. */
export class DiscoveryClientError extends Error {
  override readonly name = 'DiscoveryClientError'
  constructor(
    readonly code: DiscoveryFailureCode,
    message: string,
    readonly retryable: boolean,
    /** HTTP status, when the service answered. */
    readonly status?: number,
    /** The service's own error code (`AUTH_001`, `ADV_005`, …), when it sent one. */
    readonly serverCode?: string,
  ) {
    super(message)
  }
}

export interface DiscoveryClientOptions {
  /** Base URL of the service, e.g. `http://127.0.0.1:9001` (a trailing slash is ignored). */
  readonly baseUrl: string
  /** The provider key; its address is sent as `X-Provider-ID`. */
  readonly signer: RequestSigner
  /** Per request, connection to complete body. Default 5000 ms (the original's). */
  readonly timeoutMs?: number
  /** Epoch milliseconds for the signature timestamp; injectable for tests. */
  readonly now?: () => number
  /** Largest response body read, in bytes. Default 256 KiB. */
  readonly maxResponseBytes?: number
}

const RETRYABLE_STATUSES = new Set([408, 429])

/** Talks to one discovery service; stateless apart from a monotonic signature clock. */
export class DiscoveryClient {
  readonly #base: string
  readonly #signer: RequestSigner
  readonly #timeoutMs: number
  readonly #now: () => number
  readonly #maxBytes: number
  #lastTimestamp = 0

  constructor(opts: DiscoveryClientOptions) {
    this.#base = opts.baseUrl.replace(/\/+$/, '')
    this.#signer = opts.signer
    this.#timeoutMs = opts.timeoutMs ?? 5000
    this.#now = opts.now ?? Date.now
    this.#maxBytes = opts.maxResponseBytes ?? 256 * 1024
  }

  /** Publishes (creates or replaces) this provider's advertisement; resolves with what the service stored. */
  async post(ad: AdvertisementBody, signal?: AbortSignal): Promise<AdvertisementFromAnyServer> {
    const body = await this.#signed('POST', ADVERTISEMENTS_PATH, JSON.stringify(ad), signal)
    const parsed = AdvertisementFromAnyServer.safeParse(body)
    if (!parsed.success)
      throw new DiscoveryClientError(
        'DISCOVERY_BAD_RESPONSE',
        `the discovery service at ${this.#base} answered the post with something other than an advertisement`,
        false,
      )
    return parsed.data
  }

  /** Withdraws the advertisement of `providerId` (this provider's own). `deleted` is false when there was none. */
  async delete(providerId: string, signal?: AbortSignal): Promise<{ deleted: boolean }> {
    try {
      await this.#signed('DELETE', advertisementPath(providerId), '', signal)
      return { deleted: true }
    } catch (error) {
      if (error instanceof DiscoveryClientError && error.status === 404) return { deleted: false }
      throw error
    }
  }

  /** Resolves when the service reports itself healthy. */
  async health(signal?: AbortSignal): Promise<void> {
    const body = await this.#request('GET', '/health', {}, undefined, signal)
    if (!DiscoveryHealth.safeParse(body).success)
      throw new DiscoveryClientError('DISCOVERY_BAD_RESPONSE', `${this.#base}/health did not answer {"status":"healthy"}`, false)
  }

  // Signs the exact bytes that are then sent; the timestamp never goes backwards within this process.
  async #signed(method: string, path: string, text: string, signal: AbortSignal | undefined): Promise<unknown> {
    const bytes = Buffer.from(text, 'utf8')
    const timestamp = Math.max(this.#now(), this.#lastTimestamp)
    this.#lastTimestamp = timestamp
    const signature = await signRequest(this.#signer, { audience: DISCOVERY_AUDIENCE, method, path, body: bytes }, timestamp)
    const headers = discoveryAuthHeaders(signature)
    if (bytes.length > 0) headers['content-type'] = 'application/json'
    return this.#request(method, path, headers, bytes.length > 0 ? bytes : undefined, signal)
  }

  async #request(method: string, path: string, headers: Record<string, string>, body: Buffer | undefined, signal: AbortSignal | undefined): Promise<unknown> {
    const combined = signal === undefined ? deadlineSignal(this.#timeoutMs) : deadlineSignal(this.#timeoutMs, signal)
    const what = `${method} ${this.#base}${path}`
    try {
      const response = await fetch(`${this.#base}${path}`, {
        method,
        headers: { accept: 'application/json', ...headers },
        body,
        signal: combined,
        redirect: 'manual',
      })
      const text = await readLimited(response, this.#maxBytes)
      return answer(what, response.status, text)
    } catch (error) {
      if (error instanceof DiscoveryClientError) throw error
      if (signal?.aborted === true) throw new DiscoveryClientError('DISCOVERY_ABORTED', `${what} was cancelled`, false)
      if (combined.aborted) throw new DiscoveryClientError('DISCOVERY_TIMEOUT', `${what} got no answer within ${this.#timeoutMs} ms`, true)
      throw new DiscoveryClientError('DISCOVERY_UNREACHABLE', `${what} failed: ${networkReason(error)}`, true)
    }
  }
}

// Turns a complete answer into its JSON body, or the typed failure the status means.
function answer(what: string, status: number, text: string): unknown {
  const json = parseJsonOrUndefined(text)
  if (status >= 200 && status < 300) {
    if (json === undefined) throw new DiscoveryClientError('DISCOVERY_BAD_RESPONSE', `${what} answered ${status} without a JSON body`, false, status)
    return json
  }
  const { code, message } = errorOf(json)
  const detail = `${what} answered ${status}${code === undefined ? '' : ` ${code}`}${message === undefined ? '' : `: ${message}`}`
  if (status >= 300 && status < 400)
    throw new DiscoveryClientError('DISCOVERY_BAD_RESPONSE', `${detail} (a redirect; set the discovery URL to where it points)`, false, status)
  if (status >= 500 || RETRYABLE_STATUSES.has(status)) throw new DiscoveryClientError('DISCOVERY_UNAVAILABLE', detail, true, status, code)
  throw new DiscoveryClientError('DISCOVERY_REFUSED', detail, false, status, code)
}

// Reads `{code, message}` or the original's `{detail: {code, message}}`.
function errorOf(json: unknown): { code?: string; message?: string } {
  if (typeof json !== 'object' || json === null) return {}
  const outer = json as { code?: unknown; message?: unknown; detail?: unknown }
  const inner = (typeof outer.detail === 'object' && outer.detail !== null ? outer.detail : {}) as { code?: unknown; message?: unknown }
  const code = typeof outer.code === 'string' ? outer.code : typeof inner.code === 'string' ? inner.code : undefined
  const message = typeof outer.message === 'string' ? outer.message : typeof inner.message === 'string' ? inner.message : undefined
  return { ...(code === undefined ? {} : { code }), ...(message === undefined ? {} : { message: message.slice(0, 300) }) }
}

// Reads at most `max` bytes of the body; a larger body is cut (it is only parsed for an error message).
async function readLimited(response: Response, max: number): Promise<string> {
  if (response.body === null) return ''
  const reader = (response.body as ReadableStream<Uint8Array>).getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    while (size < max) {
      const { done, value } = await reader.read()
      if (done) break
      chunks.push(value)
      size += value.length
    }
  } finally {
    await reader.cancel().catch(() => undefined)
  }
  return Buffer.concat(chunks).subarray(0, max).toString('utf8')
}

// fetch reports "fetch failed" and hides the socket error in `cause`.
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause
  if (typeof cause?.code === 'string') return cause.code
  if (typeof cause?.message === 'string') return cause.message
  return error instanceof Error ? error.message : String(error)
}
