/**
 * The separate scrape address (GOLEM_PROVIDER_METRICS_LISTEN): a bare HTTP
 * server on a loopback address that answers `GET /metrics` and nothing
 * else, without a token, for a Prometheus or agent on the same machine.
 * It has no rate limit and no other route, so a scraper never competes with
 * renters for the API's limits, and the API's request metrics do not count
 * the scrapes.
 *
 * @module
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface MetricsListenerOptions {
  readonly host: string
  readonly port: number
  /** Renders the text format (ProviderMetrics.render). */
  readonly render: () => Promise<string>
  readonly contentType: string
  readonly onError: (error: unknown) => void
}

export interface MetricsListener {
  /** Where it listens, e.g. `http://127.0.0.1:9466/metrics`. */
  readonly url: string
  close(): Promise<void>
}

const json = (code: string, message: string) => JSON.stringify({ code, message, detail: message })

/** Listens on `host:port`; resolves once bound, rejects when the address cannot be bound. */
export async function listenForScrapes(o: MetricsListenerOptions): Promise<MetricsListener> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(json('ROUTE_NOT_FOUND', 'only /metrics is served here'))
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'application/json', allow: 'GET, HEAD' }).end(json('METHOD_NOT_ALLOWED', 'use GET /metrics'))
      return
    }
    o.render().then(
      (text) => {
        res.writeHead(200, { 'content-type': o.contentType, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : text)
      },
      (error: unknown) => {
        o.onError(error)
        res.writeHead(500, { 'content-type': 'application/json' }).end(json('INTERNAL', 'the metrics could not be collected; see the provider log'))
      },
    )
  })
  // A scraper keeps its connection open between scrapes; closing must not wait for it.
  server.keepAliveTimeout = 65_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host: o.host, port: o.port, exclusive: true }, () => {
      server.off('error', reject)
      resolve()
    })
  })
  server.on('error', o.onError)
  const { address, port } = server.address() as AddressInfo
  return { url: `http://${address.includes(':') ? `[${address}]` : address}:${port}/metrics`, close: () => closeServer(server) }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}
