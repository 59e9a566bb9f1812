/**
 * Local checks of ports: which ports of a range this host lets us bind.
 *
 * @module
 */
import net from 'node:net'

/** Lists the ports from `start` to `end` (inclusive). */
export const portRange = (start: number, end: number): number[] =>
  Array.from({ length: Math.max(0, end - start + 1) }, (_, i) => start + i)

/** Binds and releases `port` on `host`; true if nothing else holds it. */
export function canBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.once('error', () => resolve(false))
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)))
  })
}

/** The ports of `ports` that can be bound on `host` now, in order. */
export async function bindablePorts(host: string, ports: readonly number[]): Promise<number[]> {
  const results = await Promise.all(ports.map(async (p) => ((await canBind(host, p)) ? p : undefined)))
  return results.filter((p): p is number => p !== undefined)
}
