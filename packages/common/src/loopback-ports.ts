/**
 * Free TCP ports on 127.0.0.1 (for tests, benchmarks and the local network), and a
 * check whether something listens on a port.
 *
 * @module
 */
import net from 'node:net'

/** True if a listener can bind 127.0.0.1:port right now. */
export function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.once('error', () => resolve(false))
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)))
  })
}

/** True if something accepts TCP connections on 127.0.0.1:port (bounded to 2 s). */
export function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port })
    const done = (answer: boolean): void => {
      socket.destroy()
      resolve(answer)
    }
    socket.setTimeout(2000, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

/**
 * `count` consecutive ports free on 127.0.0.1, in a random region of
 * 20000–44999 (below the kernel's ephemeral range, away from the provider's
 * default 50800–50900), so two runs or parallel tests stay apart.
 */
export async function freePortRange(count: number): Promise<{ start: number; end: number }> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const start = 20_000 + Math.floor(Math.random() * 25_000)
    const ports = Array.from({ length: count }, (_, i) => start + i)
    const free = await Promise.all(ports.map((p) => canListen(p)))
    if (free.every(Boolean)) return { start, end: start + count - 1 }
  }
  throw new Error(`no ${count} consecutive free ports found on 127.0.0.1`)
}
