/**
 * A renter's view of a VM's mapped ports in tests: what a TCP client reads
 * from a public port, the answer a UDP client gets, and the mapping of a
 * guest port in a VM's record.
 *
 * @module
 */
import dgram from 'node:dgram'
import { once } from 'node:events'
import net from 'node:net'
import type { TestContext } from 'node:test'

export interface Mapping {
  readonly guest: number
  readonly protocol: 'tcp' | 'udp'
  readonly public_port: number
  readonly host: string
}

/** What a TCP client reads from `host:port` until the server closes, `closed` when nothing, or `error:<code>` / `timeout:<text>` (bounded). */
export function tcpAnswer(port: number, host = '127.0.0.1', timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host)
    let text = ''
    const timer = setTimeout(() => {
      socket.destroy()
      resolve(`timeout:${text}`)
    }, timeoutMs)
    socket.on('data', (chunk) => {
      text += String(chunk)
    })
    socket.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      resolve(`error:${error.code ?? error.message}`)
    })
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(text.trim() === '' ? 'closed' : text.trim())
    })
  })
}

/** The UDP answer to `text` sent to `host:port`, or null when none comes within `waitMs`. */
export async function udpAnswer(t: TestContext, port: number, text: string, waitMs = 5000, host = '127.0.0.1'): Promise<string | null> {
  const socket = dgram.createSocket('udp4')
  t.after(() => {
    try {
      socket.close()
    } catch {
      /* closed already */
    }
  })
  socket.bind(0, '127.0.0.1')
  await once(socket, 'listening')
  const answer = once(socket, 'message', { signal: AbortSignal.timeout(waitMs) }).then(
    ([msg]) => String(msg),
    () => null,
  )
  socket.send(text, port, host)
  const result = await answer
  socket.close()
  return result
}

/** The public port a VM's record maps to `guest` (throws when there is none). */
export function publicPort(vm: { readonly ports: readonly Mapping[] }, guest: number, protocol?: 'tcp' | 'udp'): number {
  const found = vm.ports.find((p) => p.guest === guest && (protocol === undefined || p.protocol === protocol))
  if (found === undefined) throw new Error(`no mapping for guest port ${guest} in ${JSON.stringify(vm.ports)}`)
  return found.public_port
}
