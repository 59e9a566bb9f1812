/**
 * The real TCP connect behind `Connect` (see checker.ts), on `node:net`.
 *
 * @module
 */
import { connect, isIP } from 'node:net'
import type { ConnectOutcome } from './checker.js'

// Text for the errors a connect can end with, as the C library words them (the original reported Python's strerror).
const SYSTEM_ERROR_TEXT: Readonly<Record<string, string>> = {
  ENETUNREACH: 'Network is unreachable',
  EHOSTUNREACH: 'No route to host',
  EHOSTDOWN: 'Host is down',
  ECONNRESET: 'Connection reset by peer',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  EAFNOSUPPORT: 'Address family not supported by protocol',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EMFILE: 'Too many open files',
  ENOBUFS: 'No buffer space available',
}

/** Maps a socket error to an outcome: refused, timed out, or failed with a readable reason. */
export function classifySocketError(error: Error & { code?: string }): ConnectOutcome {
  if (error.code === 'ECONNREFUSED') return { kind: 'refused' }
  if (error.code === 'ETIMEDOUT') return { kind: 'timeout' }
  const known = error.code === undefined ? undefined : SYSTEM_ERROR_TEXT[error.code]
  return { kind: 'failed', message: known ?? error.message }
}

/**
 * Opens a TCP connection to `ip:port` and closes it at once. Resolves `open`
 * when the handshake completes, `refused` on a reset, `timeout` after
 * `timeoutMs` without an answer, `aborted` when `signal` aborts first, and
 * `failed` otherwise. Never resolves a hostname: a non-IP `ip` is `failed`.
 * Never rejects; the socket is always destroyed before it resolves.
 */
export function tcpConnect(ip: string, port: number, options: { readonly timeoutMs: number; readonly signal: AbortSignal }): Promise<ConnectOutcome> {
  if (isIP(ip) === 0) return Promise.resolve({ kind: 'failed', message: `not an IP address: ${ip}` })
  if (options.signal.aborted) return Promise.resolve({ kind: 'aborted' })
  return new Promise<ConnectOutcome>((resolve) => {
    const socket = connect({ host: ip, port })
    const finish = (outcome: ConnectOutcome): void => {
      clearTimeout(timer)
      options.signal.removeEventListener('abort', onAbort)
      socket.destroy()
      resolve(outcome)
    }
    const onAbort = (): void => finish({ kind: 'aborted' })
    const timer = setTimeout(() => finish({ kind: 'timeout' }), options.timeoutMs)
    options.signal.addEventListener('abort', onAbort, { once: true })
    socket.once('connect', () => finish({ kind: 'open' }))
    // `on`, not `once`: a late second error must not become an uncaught exception.
    socket.on('error', (error) => finish(classifySocketError(error)))
  })
}
