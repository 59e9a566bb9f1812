/**
 * A tiny TCP peer run inside a test's network namespace
 * (`ip netns exec <ns> node netns-peer.js …`), so tests can listen and
 * connect from "the internet", "the LAN" or "a VM" without other tools.
 *
 *   listen <address> <port> <banner>   send the banner, keep each connection open; prints "listening"
 *   connect <json>                      [{ host, port, timeoutMs }], all at once; prints one JSON result
 *                                       per target ({ ok, data } or { ok: false, error }), then keeps the
 *                                       connections open for `holdMs` (second argument) before closing
 *
 * @module
 */
import net from 'node:net'

interface Target {
  readonly host: string
  readonly port: number
  readonly timeoutMs: number
}
export interface ProbeResult {
  readonly ok: boolean
  readonly data?: string
  readonly error?: string
}

function listen(address: string, port: number, banner: string): void {
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined)
    socket.write(`${banner}\r\n`)
  })
  server.listen({ host: address, port }, () => process.stdout.write('listening\n'))
}

function probe(target: Target): Promise<{ result: ProbeResult; socket: net.Socket }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: target.host, port: target.port })
    let settled = false
    const done = (result: ProbeResult) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve({ result, socket })
    }
    const timer = setTimeout(() => done({ ok: false, error: 'timeout' }), target.timeoutMs)
    socket.on('error', (error: NodeJS.ErrnoException) => done({ ok: false, error: error.code ?? error.message }))
    socket.on('close', () => done({ ok: false, error: 'closed' }))
    socket.on('data', (chunk: Buffer) => done({ ok: true, data: chunk.toString('utf8').trim() }))
  })
}

async function connect(targets: readonly Target[], holdMs: number): Promise<void> {
  const outcomes = await Promise.all(targets.map(probe))
  process.stdout.write(`${JSON.stringify(outcomes.map((o) => o.result))}\n`)
  await new Promise((resolve) => setTimeout(resolve, holdMs))
  for (const { socket } of outcomes) socket.destroy()
}

const [mode, ...args] = process.argv.slice(2)
if (mode === 'listen') listen(args[0] ?? '0.0.0.0', Number(args[1]), args[2] ?? 'hello')
else if (mode === 'connect') await connect(JSON.parse(args[0] ?? '[]') as Target[], Number(args[1] ?? 0))
else throw new Error(`netns-peer: unknown mode ${mode ?? ''}`)
