/**
 * Builds the port checker's Fastify instance from its parts. It never
 * listens by itself: `main.ts` listens, tests use `inject`.
 *
 * @module
 */
import rateLimit from '@fastify/rate-limit'
import { sourceKey } from '@golem-vm/common'
import { limitedServerFactory, sampledRefusalLog } from '@golem-vm/common/http-server-limits'
import swagger from '@fastify/swagger'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import type { Connect } from './checker.js'
import type { Config, TrustProxy } from './config.js'
import { portCheckErrors } from './error-handler.js'
import { PortCheckError } from './errors.js'
import { transformObject } from './openapi.js'
import { PortCheckService } from './port-check-service.js'
import { portCheckRoutes } from './routes.js'
import { FairSemaphore } from './fair-semaphore.js'
import type { Lookup } from './target.js'

/** Everything the server needs from outside: settings, a logger, and the two edges that touch the network. */
export interface ServerDeps {
  readonly config: Config
  readonly logger: FastifyBaseLogger
  readonly connect: Connect
  readonly lookup: Lookup
}

/** How long a request's headers and body may take to arrive. */
const REQUEST_ARRIVAL_MS = 10_000

/** The Fastify instance `buildServer` returns. */
export type PortCheckServer = ReturnType<typeof buildServer>

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const

/** Room for the JSON of `maxPorts` ports, however generously formatted, plus the address. */
export const bodyLimitFor = (maxPorts: number): number => 4_096 + 32 * maxPorts

// Fastify's types omit the hop-count form, so a count becomes the function proxy-addr would build from it.
const toFastifyTrustProxy = (trust: TrustProxy): boolean | string[] | ((address: string, hop: number) => boolean) => {
  if (typeof trust === 'number') return (_address, hop) => hop < trust
  return typeof trust === 'object' ? [...trust] : trust
}

// Unknown path → ROUTE_NOT_FOUND; known path, other method → METHOD_NOT_ALLOWED with an Allow header.
const notFound =
  (app: FastifyInstance) =>
  (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const url = request.url.split('?')[0] ?? '/'
    const allowed = METHODS.filter((method) => app.hasRoute({ method, url }))
    if (allowed.length === 0) {
      return portCheckErrors.handle(
        new PortCheckError('ROUTE_NOT_FOUND', `no route ${request.method} ${url}; the routes are POST /check-ports and GET /health`),
        request,
        reply,
      )
    }
    reply.header('allow', allowed.join(', '))
    return portCheckErrors.handle(
      new PortCheckError('METHOD_NOT_ALLOWED', `${url} does not accept ${request.method}; use ${allowed.join(' or ')}`),
      request,
      reply,
    )
  }

// While the server closes, new requests get a JSON 503 (not Fastify's own body) and every response asks the
// client to close its connection: a keep-alive connection busy at close time would otherwise hold close() open.
function refuseWhileClosing(app: FastifyInstance): void {
  let closing = false
  app.addHook('preClose', (done) => {
    closing = true
    done()
  })
  app.addHook('onRequest', (_request, _reply, done) => {
    done(closing ? new PortCheckError('SHUTTING_DOWN', 'the port checker is shutting down; try again in a moment') : undefined)
  })
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) void reply.header('connection', 'close')
    done(null, payload)
  })
}

function registerPlugins(app: FastifyInstance, config: Config): void {
  void app.register(swagger, {
    openapi: { info: { title: 'Golem port checker', version: '0.2.0', description: 'Tells a provider which of its own TCP ports are reachable.' } },
    transform: jsonSchemaTransform,
    transformObject,
  })
  void app.register(rateLimit, {
    global: true,
    max: config.rateLimitPerMinute,
    timeWindow: 60_000,
    // One IPv4 address or one IPv6 /64 is one caller, as for the connect slots.
    keyGenerator: (request) => sourceKey(request.ip),
    errorResponseBuilder: (request, context) =>
      new PortCheckError('RATE_LIMITED', `too many requests from ${request.ip}: at most ${context.max} per minute; retry in ${context.after}`),
  })
}

/**
 * Builds the server: `GET /health`, `POST /check-ports`, `GET /openapi.json`,
 * with validation, rate limiting, the trust-proxy setting and the error
 * handler in place. Each server gets its own checker-wide connect slots, shared fairly between callers.
 * Does not listen; call `listen` or `inject` on the result.
 */
export function buildServer(deps: ServerDeps) {
  const { config } = deps
  const base = Fastify({
    loggerInstance: deps.logger,
    trustProxy: toFastifyTrustProxy(config.trustProxy),
    bodyLimit: bodyLimitFor(config.maxPorts),
    return503OnClosing: false,
    // A request (headers and body, a few kB) must arrive within 10 s; one caller holds few connections.
    serverFactory: limitedServerFactory(
      { requestTimeoutMs: REQUEST_ARRIVAL_MS, maxPerAddress: config.maxConnectionsPerAddress },
      sampledRefusalLog((source, refused) => {
        deps.logger.warn(
          { event: 'connection-refused', source, limit: config.maxConnectionsPerAddress, refused },
          'connection refused: too many open connections from one caller',
        )
      }),
    ),
  })
  // JSON only: without this, Fastify would hand a text/plain body to the schema as a string.
  base.removeContentTypeParser('text/plain')
  base.setValidatorCompiler(validatorCompiler)
  base.setSerializerCompiler(serializerCompiler)
  portCheckErrors.install(base)
  base.setNotFoundHandler(notFound(base))
  refuseWhileClosing(base)
  registerPlugins(base, config)
  const app = base.withTypeProvider<ZodTypeProvider>()
  const slots = new FairSemaphore(config.maxConcurrentConnects)
  void app.register(portCheckRoutes(new PortCheckService({ config, connect: deps.connect, lookup: deps.lookup, slots })))
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger())
  return app
}
