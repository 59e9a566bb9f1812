/**
 * A man in the middle as a real TCP proxy: it relays every connection to
 * `target` and rewrites the bytes coming back (`from` → `to`, the same length,
 * so the answer's Content-Length still holds). A rewrite can be switched at
 * any time; with none it relays unchanged. Bytes from the server are held
 * until it pauses (5 ms), so a pattern split across TCP segments is still
 * found.
 *
 * @module
 */
import { createServer, connect, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import type { TestContext } from 'node:test'

export interface TamperingProxy {
  readonly url: string
  /** Rewrites `from` into `to` in everything the server sends from now on; undefined relays unchanged. */
  rewrite(rule: { from: string; to: string } | undefined): void
}

export async function tamperingProxy(t: TestContext, target: { host: string; port: number }): Promise<TamperingProxy> {
  let rule: { from: Buffer; to: Buffer } | undefined
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host)
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
      s.on('error', () => undefined)
    }
    client.pipe(upstream)
    let held = Buffer.alloc(0)
    let timer: NodeJS.Timeout | undefined
    const flush = (): void => {
      let out = held
      held = Buffer.alloc(0)
      if (rule !== undefined) {
        for (let at = out.indexOf(rule.from); at >= 0; at = out.indexOf(rule.from, at + rule.to.length))
          out = Buffer.concat([out.subarray(0, at), rule.to, out.subarray(at + rule.from.length)])
      }
      client.write(out)
    }
    upstream.on('data', (chunk: Buffer) => {
      held = Buffer.concat([held, chunk])
      clearTimeout(timer)
      timer = setTimeout(flush, 5)
    })
    upstream.on('end', () => {
      clearTimeout(timer)
      flush()
      client.end()
    })
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  )
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    rewrite: (next) => {
      if (next !== undefined && Buffer.byteLength(next.from) !== Buffer.byteLength(next.to)) throw new Error('a rewrite keeps the length')
      rule = next === undefined ? undefined : { from: Buffer.from(next.from), to: Buffer.from(next.to) }
    },
  }
}
