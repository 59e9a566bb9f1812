/**
 * The services' one HTTP client, on `node:http`: the caller gives the exact
 * path and body bytes (so what is signed is what is sent), one deadline
 * covers the whole exchange (no hidden 300 s header and body timeouts, as
 * undici's fetch has: a create may take longer), and the answer is read up to
 * a bound. Imported as `@golem-vm/common/http-request`.
 *
 * @module
 */
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http'
import https from 'node:https'

/** A complete answer. */
export interface HttpResponse {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

/** One request: method, exact path and body bytes, deadline. */
export interface HttpRequest {
  readonly method: string
  /** Base URL (scheme, host, port); its own path is a prefix of `path`. */
  readonly baseUrl: string
  /** Path with query, exactly as it goes on the request line. */
  readonly path: string
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: Buffer
  readonly timeoutMs: number
  /** Answers longer than this are cut off and reported as too large. Default 1 MiB. */
  readonly maxResponseBytes?: number
  readonly signal?: AbortSignal | undefined
}

/** Why no answer came: no connection, no answer in time, an answer too large, or the caller aborted. */
export type TransportFailure = 'unreachable' | 'timeout' | 'too-large' | 'aborted'

/** The request got no complete answer. `reason` is the socket error code or a short text. */
export class TransportError extends Error {
  override readonly name = 'TransportError'
  constructor(
    readonly kind: TransportFailure,
    readonly reason: string,
  ) {
    super(`${kind}: ${reason}`)
  }
}

const DEFAULT_MAX_BYTES = 1024 * 1024

function requestOptions(req: HttpRequest): { url: URL; path: string; headers: Record<string, string> } {
  const url = new URL(req.baseUrl)
  const prefix = url.pathname.replace(/\/+$/, '')
  const headers: Record<string, string> = { accept: 'application/json', connection: 'close', ...req.headers }
  if (req.body !== undefined) headers['content-length'] = String(req.body.length)
  return { url, path: `${prefix}${req.path}`, headers }
}

// Collects the answer's body up to `max` bytes; more is a failure, not a truncation.
function readBody(incoming: IncomingMessage, max: number, fail: (error: TransportError) => void, finish: (body: string) => void): void {
  const chunks: Buffer[] = []
  let size = 0
  incoming.on('data', (chunk: Buffer) => {
    size += chunk.length
    if (size > max) fail(new TransportError('too-large', `the answer exceeds ${max} bytes`))
    else chunks.push(chunk)
  })
  incoming.on('end', () => finish(Buffer.concat(chunks).toString('utf8')))
  incoming.on('error', (error: NodeJS.ErrnoException) => fail(new TransportError('unreachable', `the answer broke off (${error.code ?? error.message})`)))
}

/** Sends one request; resolves with any complete answer (any status), rejects with {@link TransportError}. */
export function httpRequest(req: HttpRequest): Promise<HttpResponse> {
  const { url, path, headers } = requestOptions(req)
  const client = url.protocol === 'https:' ? https : http
  return new Promise<HttpResponse>((resolve, reject) => {
    const outgoing = client.request({
      protocol: url.protocol,
      hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port,
      method: req.method,
      path,
      headers,
    })
    const settle = (): void => {
      clearTimeout(timer)
      req.signal?.removeEventListener('abort', onAbort)
    }
    // The first outcome wins; later events of the destroyed request change nothing.
    const fail = (error: TransportError): void => {
      settle()
      reject(error)
      outgoing.destroy()
    }
    const timer = setTimeout(() => fail(new TransportError('timeout', `no complete answer within ${Math.round(req.timeoutMs / 1000)} s`)), req.timeoutMs)
    const onAbort = (): void => fail(new TransportError('aborted', 'cancelled'))
    req.signal?.addEventListener('abort', onAbort, { once: true })
    outgoing.on('response', (incoming) =>
      readBody(incoming, req.maxResponseBytes ?? DEFAULT_MAX_BYTES, fail, (body) => {
        settle()
        resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body })
      }),
    )
    outgoing.on('error', (error: NodeJS.ErrnoException) => fail(new TransportError('unreachable', error.code ?? error.message)))
    if (req.signal?.aborted === true) onAbort()
    outgoing.end(req.body)
  })
}
