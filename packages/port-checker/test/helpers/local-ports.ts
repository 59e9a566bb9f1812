/**
 * Real TCP ports on 127.0.0.1 for the checker to probe: one that accepts,
 * one that refuses. Listeners close in `t.after`.
 */
import { createServer } from 'node:net'
import type { TestContext } from 'node:test'

const listenOnLoopback = async (): Promise<{ port: number; close: () => Promise<void> }> => {
  const server = createServer((socket) => socket.destroy())
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  return { port: address.port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
}

/** A port on 127.0.0.1 that accepts connections until the test ends. */
export async function openPort(t: TestContext): Promise<number> {
  const { port, close } = await listenOnLoopback()
  t.after(close)
  return port
}

/** A port on 127.0.0.1 that nothing listens on: bound by the system, then released. */
export async function closedPort(): Promise<number> {
  const { port, close } = await listenOnLoopback()
  await close()
  return port
}
