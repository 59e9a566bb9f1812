/**
 * For tests of HTTP clients: an in-process server on 127.0.0.1 (port 0) that
 * records every request with its exact raw body and answers with what the
 * test says. Imported as `@golem-vm/common/fake-http-server`.
 *
 * @module
 */
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TestContext } from 'node:test'

/** One request as the server saw it. */
export interface SeenRequest {
  readonly method: string
  /** The request target exactly as sent (path and query). */
  readonly url: string
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
}

/** What to answer: a status and a JSON value (or raw text), or `hang` to never answer. */
export type Answer = { status: number; json?: unknown; text?: string; contentType?: string; headers?: Record<string, string> } | 'hang'

/** A running fake server: its URL and what it received. */
export interface FakeServer {
  readonly baseUrl: string
  readonly requests: SeenRequest[]
}

/** Starts a server answering each request with `handler(request)`; closed when the test ends. */
export async function fakeServer(t: TestContext, handler: (req: SeenRequest) => Answer | Promise<Answer>): Promise<FakeServer> {
  const requests: SeenRequest[] = []
  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = []
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk))
    incoming.on('end', () => {
      const seen = { method: incoming.method ?? '', url: incoming.url ?? '', headers: incoming.headers, body: Buffer.concat(chunks) }
      requests.push(seen)
      void Promise.resolve(handler(seen)).then((answer) => {
        if (answer === 'hang') return
        const body = answer.text ?? JSON.stringify(answer.json ?? null)
        outgoing.writeHead(answer.status, { ...answer.headers, 'content-type': answer.contentType ?? 'application/json' }).end(body)
      })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  const { port } = server.address() as AddressInfo
  return { baseUrl: `http://127.0.0.1:${port}`, requests }
}
