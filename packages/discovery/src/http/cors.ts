/**
 * CORS for browser dashboards: any origin may read and write, but never with
 * credentials (the original allowed `*` together with credentials). Writes
 * are authenticated by signatures, not cookies, so no credentials are needed.
 *
 * @module
 */
import type { FastifyInstance } from 'fastify'

const ALLOWED_HEADERS = 'content-type, x-provider-id, x-provider-signature, x-golem-timestamp, x-golem-nonce'
const EXPOSED_HEADERS = 'retry-after, x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset'

/** Adds `access-control-allow-origin: *` to every response to a request with an Origin, and answers preflights. */
export function registerCors(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    if (request.headers.origin !== undefined) {
      reply.header('access-control-allow-origin', '*')
      reply.header('access-control-expose-headers', EXPOSED_HEADERS)
    }
    done()
  })
  app.options('*', { config: { rateLimit: false }, schema: { hide: true } }, (_request, reply) =>
    reply
      .code(204)
      .header('access-control-allow-methods', 'GET, POST, DELETE, OPTIONS')
      .header('access-control-allow-headers', ALLOWED_HEADERS)
      .header('access-control-max-age', '600')
      .send(),
  )
}
