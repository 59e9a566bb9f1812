/**
 * Free TCP ports on 127.0.0.1 for the daemons, servers and forwarders the
 * benchmarks start.
 *
 * @module
 */
import net from 'node:net'

function canListen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.once('error', () => resolve(false))
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)))
  })
}

/**
 * `count` consecutive ports free on 127.0.0.1, in a random region of 20000–32000:
 * below Linux's ephemeral range (32768–60999 by default), so that no outgoing
 * connection of the benchmark itself can take a VM's port as its source port
 * while the provider binds it.
 */
export async function freePortRange(count: number): Promise<{ start: number; end: number }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const start = 20_000 + Math.floor(Math.random() * (12_000 - count))
    const ports = Array.from({ length: count }, (_, i) => start + i)
    const free = await Promise.all(ports.map((p) => canListen(p)))
    if (free.every(Boolean)) return { start, end: start + count - 1 }
  }
  throw new Error('no free port range found')
}

export const freePort = async (): Promise<number> => (await freePortRange(1)).start
