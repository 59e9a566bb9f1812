/**
 * Temporary listeners for port verification: while a port-check server tries
 * to connect from outside, something on this host must accept. Each listener
 * accepts a connection and closes it at once.
 *
 * @module
 */
import dgram from 'node:dgram'
import net from 'node:net'
import type { BindFailure, HoldPortsFn } from '../../app/ports/port-check.js'
import { PortBindError } from '../../app/ports/ssh-forwarder.js'

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

/**
 * Holds a UDP port on `host` with a bound socket that reads and drops what
 * arrives (nothing does while the kernel forwards the port). Rejects with a
 * `PortBindError` when another process holds it.
 */
export function holdUdpPort(host: string, port: number): Promise<{ release(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket({ type: 'udp4', reuseAddr: false })
    socket.once('error', (error) => {
      socket.close()
      reject(new PortBindError(port, error))
    })
    socket.bind({ address: host, port, exclusive: true }, () => {
      socket.removeAllListeners('error')
      socket.on('error', () => undefined)
      let released: Promise<void> | undefined
      resolve({
        release: () =>
          (released ??= new Promise((done) => {
            socket.close(() => done())
          })),
      })
    })
  })
}
