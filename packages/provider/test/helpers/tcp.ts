/**
 * Real TCP endpoints on 127.0.0.x for tests of the SSH proxy: a stand-in for
 * a VM's SSH server, renter connections, and waits on what a socket does.
 *
 * @module
 */
import { once } from 'node:events'
import net from 'node:net'
import type { TestContext } from 'node:test'

/** A VM's SSH server stand-in: accepts on 127.0.0.1 and hands each connection to the test. */
export interface FakeVm {
  readonly endpoint: { readonly host: string; readonly port: number }
  /** Every connection accepted so far. */
  readonly sockets: net.Socket[]
  /** The next connection (or one already accepted and not yet taken). */
  nextConnection(): Promise<net.Socket>
}

export async function fakeVm(t: TestContext, onConnection?: (socket: net.Socket) => void): Promise<FakeVm> {
  const sockets: net.Socket[] = []
  const waiting: ((socket: net.Socket) => void)[] = []
  const unclaimed: net.Socket[] = []
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.push(socket)
    socket.on('error', () => undefined)
    onConnection?.(socket)
    const waiter = waiting.shift()
    if (waiter === undefined) unclaimed.push(socket)
    else waiter(socket)
  })
  server.listen({ host: '127.0.0.1', port: 0 })
  await once(server, 'listening')
  t.after(() => {
    for (const s of sockets) s.destroy()
    server.close()
  })
  const address = server.address() as net.AddressInfo
  return {
    endpoint: { host: '127.0.0.1', port: address.port },
    sockets,
    nextConnection: () => {
      const ready = unclaimed.shift()
      return ready === undefined ? new Promise((resolve) => waiting.push(resolve)) : Promise.resolve(ready)
    },
  }
}

/** A renter's connection to `port` (half-open allowed, so a test can end one direction only); destroyed after the test. */
export async function connectTo(t: TestContext, port: number, options: { host?: string; localAddress?: string } = {}): Promise<net.Socket> {
  const socket = net.connect({
    host: options.host ?? '127.0.0.1',
    port,
    allowHalfOpen: true,
    ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
  })
  socket.on('error', () => undefined)
  t.after(() => socket.destroy())
  await once(socket, 'connect')
  return socket
}

/** Everything the socket delivers until its end. */
export async function readToEnd(socket: net.Socket): Promise<Buffer> {
  const chunks: Buffer[] = []
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  if (!socket.readableEnded) await once(socket, 'end')
  return Buffer.concat(chunks)
}

/** Resolves when the socket is closed (at once if it already is). */
export async function closed(socket: net.Socket): Promise<void> {
  if (socket.closed) return
  await once(socket, 'close')
}

/** Resolves when the peer has closed the connection: an end, a reset or a close. */
export async function closedByPeer(socket: net.Socket): Promise<void> {
  socket.resume()
  if (socket.readableEnded || socket.closed) return
  await new Promise<void>((resolve) => {
    socket.once('end', resolve)
    socket.once('close', resolve)
  })
}

/** Polls `probe` every 10 ms until it is true; fails after `timeoutMs`, naming what it waited for. */
export async function waitFor(what: string, probe: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** Writes `total` bytes of a repeating pattern as fast as the socket takes them (honouring backpressure). */
export async function pump(socket: net.Socket, total: number, chunkSize = 64 * 1024): Promise<void> {
  const chunk = Buffer.alloc(chunkSize, 'golem-')
  let sent = 0
  while (sent < total) {
    if (socket.destroyed || socket.writableEnded) throw new Error(`the socket closed after ${sent} of ${total} bytes`)
    const size = Math.min(chunkSize, total - sent)
    sent += size
    if (!socket.write(size === chunkSize ? chunk : chunk.subarray(0, size))) {
      await new Promise<void>((resolve) => {
        const done = () => {
          socket.off('drain', done).off('close', done)
          resolve()
        }
        socket.on('drain', done).on('close', done)
      })
    }
  }
}

/** Counts the bytes a socket delivers. */
export function countBytes(socket: net.Socket): { readonly bytes: number } {
  const counter = { bytes: 0 }
  socket.on('data', (chunk: Buffer) => {
    counter.bytes += chunk.length
  })
  return counter
}
