/**
 * Temporary listeners for port verification: while a port-check server tries
 * to connect from outside, something on this host must accept. Each listener
 * accepts a connection and closes it at once.
 *
 * @module
 */
import net from 'node:net'
import type { BindFailure, HoldPortsFn } from '../../app/ports/port-check.js'

const REASONS: Record<string, string> = {
  EADDRINUSE: 'in use by another process',
  EACCES: 'binding it is not permitted (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'the bind address is not an address of this host',
}

function bindFailure(port: number, host: string, error: unknown): BindFailure {
  const code = (error as NodeJS.ErrnoException).code ?? 'UNKNOWN'
  const reason = REASONS[code] ?? `cannot be bound on ${host}: ${error instanceof Error ? error.message : String(error)}`
  return { port, code, reason }
}

// One listener that closes every connection it accepts: the checker only needs the handshake.
function listen(host: string, port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => socket.destroy())
    server.once('error', reject)
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', reject)
      server.on('error', () => undefined)
      resolve(server)
    })
  })
}

const close = (server: net.Server): Promise<void> =>
  new Promise((resolve) => {
    server.close(() => resolve())
  })

/**
 * Binds every port of `ports` on `host` at once. Ports another process holds
 * are listed in `failed`, never thrown; the caller must `release()`.
 */
export const holdPorts: HoldPortsFn = async (host, ports) => {
  const outcomes = await Promise.all(
    ports.map(async (port): Promise<net.Server | BindFailure> => {
      try {
        return await listen(host, port)
      } catch (error) {
        return bindFailure(port, host, error)
      }
    }),
  )
  const servers = outcomes.filter((o): o is net.Server => o instanceof net.Server)
  let released: Promise<void> | undefined
  return {
    bound: ports.filter((_, i) => outcomes[i] instanceof net.Server),
    failed: outcomes.filter((o): o is BindFailure => !(o instanceof net.Server)),
    release: () => (released ??= Promise.all(servers.map(close)).then(() => undefined)),
  }
}
