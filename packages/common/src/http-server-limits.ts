/**
 * Bounds on what one client can hold of an HTTP server: a deadline for the
 * headers and one for the whole request (a body that never finishes is cut
 * off with 408), a short keep-alive, and a cap on open connections per
 * source (one IPv4 address or one IPv6 /64, see `sourceKey`). Used by every
 * service through Fastify's `serverFactory`.
 *
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { sourceKey } from './source-key.js'

/** How long a request may take to arrive, and how many connections one source may hold. */
export interface ConnectionLimits {
  /** Deadline for the whole request, headers and body (a body that never finishes is answered 408 and closed). */
  readonly requestTimeoutMs: number
  /** Open connections per source (the socket's address, never X-Forwarded-For); 0 = no limit. */
  readonly maxPerAddress: number
  /** Headers must arrive within this (capped by the request deadline); default 5 s. */
  readonly headersTimeoutMs?: number
  /** An idle keep-alive connection is closed after this; default 5 s. */
  readonly keepAliveTimeoutMs?: number
}

const DEFAULT_HEADERS_TIMEOUT_MS = 5_000
const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 5_000

/**
 * Counts open connections per source and destroys, at once, a connection
 * over `max` (0: no cap). `onRefused` hears each refusal.
 */
export function capConnectionsPerSource(server: Server, max: number, onRefused: (source: string) => void): void {
  if (max === 0) return
  const open = new Map<string, number>()
  server.on('connection', (socket: Socket) => {
    const source = sourceKey(socket.remoteAddress)
    const count = (open.get(source) ?? 0) + 1
    if (count > max) {
      onRefused(source)
      socket.destroy()
      return
    }
    open.set(source, count)
    socket.once('close', () => {
      const left = (open.get(source) ?? 1) - 1
      if (left === 0) open.delete(source)
      else open.set(source, left)
    })
  })
}

/**
 * A Fastify `serverFactory`: a node:http server with `limits` in place.
 * `onRefused` hears each connection refused by the per-source cap; it is
 * called for every refusal, so it should rate its own logging.
 */
export function limitedServerFactory(limits: ConnectionLimits, onRefused: (source: string) => void = () => undefined) {
  return (handler: (req: IncomingMessage, res: ServerResponse) => void): Server => {
    const server = createServer(
      {
        requestTimeout: limits.requestTimeoutMs,
        headersTimeout: Math.min(limits.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS, limits.requestTimeoutMs),
        keepAliveTimeout: limits.keepAliveTimeoutMs ?? DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
        // Deadlines are checked this often; a shorter deadline needs a finer check.
        connectionsCheckingInterval: Math.min(1_000, limits.requestTimeoutMs),
      },
      handler,
    )
    capConnectionsPerSource(server, limits.maxPerAddress, onRefused)
    return server
  }
}

/** Logs one line per `every` refusals, so a flood does not flood the log. */
export function sampledRefusalLog(log: (source: string, refused: number) => void, every = 1000): (source: string) => void {
  let refused = 0
  return (source) => {
    if (refused++ % every === 0) log(source, refused)
  }
}
