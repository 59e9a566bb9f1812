/**
 * Client side of the proxy benchmarks (see peer-server.ts): bulk upload and
 * download, 64-byte round trips, many simultaneous connections, and a reader
 * that stops reading. Every operation is bounded by a time limit.
 *
 * @module
 */
import net from 'node:net'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { REPO_ROOT } from './daemon.js'
import { spawnTracked, stopChild, type Scope } from './proc.js'

export interface Endpoint {
  readonly host: string
  readonly port: number
}

const BLOCK = Buffer.alloc(1 << 20, 0x62)

/** Starts peer-server.ts on the addresses; the scope stops it. */
export async function startPeerServer(scope: Scope, addresses: readonly Endpoint[], namespace?: string): Promise<number> {
  const argv = [process.execPath, '--import', 'tsx', join(REPO_ROOT, 'bench/lib/peer-server.ts'), ...addresses.map((a) => `${a.host}:${a.port}`)]
  // In a network namespace (a VM of the kernel path), through `ip netns exec`.
  const [command = '', ...args] = namespace === undefined ? argv : ['ip', 'netns', 'exec', namespace, ...argv]
  const child = spawnTracked(command, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  scope.defer('stop the peer server', () => stopChild(child, 2000))
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`peer server not ready in 20 s: ${stderr}`)), 20_000)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`peer server exited with ${code ?? '?'}: ${stderr}`))
    })
    if (child.stdout !== null)
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (line === 'ready') {
          clearTimeout(timer)
          resolve()
        }
      })
  })
  if (child.pid === undefined) throw new Error('peer server has no pid')
  return child.pid
}

function connect(to: Endpoint, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: to.host, port: to.port, noDelay: true, allowHalfOpen: true })
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`connect to ${to.host}:${to.port} timed out`))
    }, timeoutMs)
    socket.once('connect', () => {
      clearTimeout(timer)
      resolve(socket)
    })
    socket.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
  })
}

// Writes `header`, then `bytes` bytes with backpressure, then waits until the peer
// reports (an 8-byte count, then end) that it received them all; resolves with seconds.
async function sendAndConfirm(to: Endpoint, header: Buffer, bytes: number, timeoutMs: number, what: string): Promise<number> {
  const socket = await connect(to, 10_000)
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`${what} timed out`))
    }, timeoutMs)
    const reply: Buffer[] = []
    socket.on('data', (chunk: Buffer) => reply.push(chunk))
    socket.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    socket.once('end', () => {
      clearTimeout(timer)
      socket.destroy()
      const got = Buffer.concat(reply)
      const count = got.length >= 8 ? Number(got.readBigUInt64BE(0)) : -1
      if (count !== bytes) reject(new Error(`the peer received ${count} of ${bytes} bytes`))
      else resolve((performance.now() - started) / 1000)
    })
    socket.write(header)
    let left = bytes
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, BLOCK.length)
        left -= n
        if (!socket.write(n === BLOCK.length ? BLOCK : BLOCK.subarray(0, n))) {
          socket.once('drain', pump)
          return
        }
      }
      socket.end()
    }
    pump()
  })
}

/** Sends `bytes` and waits until the peer confirms it received them all; resolves with seconds. */
export function upload(to: Endpoint, bytes: number, timeoutMs = 60_000): Promise<number> {
  return sendAndConfirm(to, Buffer.from('U'), bytes, timeoutMs, 'upload')
}

export interface DownloadOptions {
  /** Read nothing for this long after asking (the peer keeps pushing meanwhile). */
  readonly stallMs?: number
  /** Called at the end of the stall, before reading resumes (to sample memory while it is full). */
  readonly onStalled?: () => Promise<void> | void
  readonly timeoutMs?: number
}

/** Asks the peer for `bytes` bytes and reads them all (after an optional stall); resolves with seconds. */
export async function download(to: Endpoint, bytes: number, opts: DownloadOptions = {}): Promise<number> {
  const socket = await connect(to, 10_000)
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error('download timed out'))
    }, opts.timeoutMs ?? 60_000)
    let received = 0
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length
    })
    socket.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    socket.once('end', () => {
      clearTimeout(timer)
      socket.destroy()
      if (received !== bytes) reject(new Error(`received ${received} of ${bytes} bytes`))
      else resolve((performance.now() - started) / 1000)
    })
    const head = Buffer.alloc(9)
    head.write('D')
    head.writeBigUInt64BE(BigInt(bytes), 1)
    socket.write(head)
    if ((opts.stallMs ?? 0) <= 0) return
    socket.pause()
    setTimeout(() => {
      Promise.resolve(opts.onStalled?.()).then(
        () => socket.resume(),
        (error: unknown) => {
          socket.destroy()
          reject(error instanceof Error ? error : new Error(String(error)))
        },
      )
    }, opts.stallMs)
  })
}

/** Sends `bytes` to a peer that reads nothing for `pauseMs`; the sender respects backpressure. Resolves with seconds. */
export function uploadToStalledReader(to: Endpoint, bytes: number, pauseMs: number, timeoutMs = 60_000): Promise<number> {
  const head = Buffer.alloc(5)
  head.write('P')
  head.writeUInt32BE(pauseMs, 1)
  return sendAndConfirm(to, head, bytes, timeoutMs, 'upload to a stalled reader')
}

/** `count` sequential round trips of `size` bytes on one connection; resolves with each one's microseconds. */
export async function roundTrips(to: Endpoint, count: number, size = 64, timeoutMs = 60_000): Promise<number[]> {
  const socket = await connect(to, 10_000)
  socket.write('E')
  const payload = Buffer.alloc(size, 0x63)
  const times: number[] = []
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('round trips timed out')), timeoutMs)
      let got = 0
      let sentAt = 0n
      const send = () => {
        got = 0
        sentAt = process.hrtime.bigint()
        socket.write(payload)
      }
      socket.on('data', (chunk: Buffer) => {
        got += chunk.length
        if (got < size) return
        times.push(Number(process.hrtime.bigint() - sentAt) / 1000)
        if (times.length >= count) {
          clearTimeout(timer)
          resolve()
          return
        }
        send()
      })
      socket.once('error', (error) => {
        clearTimeout(timer)
        reject(error)
      })
      socket.once('close', () => {
        clearTimeout(timer)
        if (times.length < count) reject(new Error('connection closed'))
      })
      send()
    })
  } finally {
    socket.destroy()
  }
  return times
}

/**
 * Opens `count` connections at once, each echoing 16 bytes, and holds them all
 * open together; resolves with how many got their echo while all were open.
 */
export async function simultaneous(
  to: Endpoint,
  count: number,
  timeoutMs = 30_000,
): Promise<{ ok: number; failed: number; errors: Record<string, number>; ms: number }> {
  const started = performance.now()
  const sockets: net.Socket[] = []
  const errors: Record<string, number> = {}
  const one = (): Promise<boolean> =>
    new Promise((resolve) => {
      const socket = net.connect({ host: to.host, port: to.port, noDelay: true })
      sockets.push(socket)
      let got = 0
      const timer = setTimeout(() => {
        errors.timeout = (errors.timeout ?? 0) + 1
        resolve(false)
      }, timeoutMs)
      socket.once('connect', () => socket.write(Buffer.concat([Buffer.from('E'), Buffer.alloc(16, 0x64)])))
      socket.on('data', (chunk: Buffer) => {
        got += chunk.length
        if (got >= 16) {
          clearTimeout(timer)
          resolve(true)
        }
      })
      socket.once('error', (error: NodeJS.ErrnoException) => {
        const code = error.code ?? error.message
        errors[code] = (errors[code] ?? 0) + 1
        clearTimeout(timer)
        resolve(false)
      })
      socket.once('close', () => {
        clearTimeout(timer)
        resolve(false)
      })
    })
  const results = await Promise.all(Array.from({ length: count }, one))
  // Still all open here: a connection only counts if it held while the others did.
  const open = sockets.filter((s) => !s.destroyed).length
  const ok = Math.min(results.filter(Boolean).length, open)
  const ms = performance.now() - started
  for (const s of sockets) s.destroy()
  return { ok, failed: count - ok, errors, ms }
}

/** Waits until nothing accepts connections on the endpoint (bounded). */
export async function waitUntilClosed(to: Endpoint, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (performance.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: to.host, port: to.port })
      s.once('connect', () => {
        s.destroy()
        resolve(true)
      })
      s.once('error', () => resolve(false))
    })
    if (!open) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`${to.host}:${to.port} still accepts connections`)
}
