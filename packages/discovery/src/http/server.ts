/**
 * Builds the discovery HTTP server. It never listens by itself, so tests
 * drive it in process with `inject` and `main` decides where it listens.
 *
 * @module
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import rateLimit from '@fastify/rate-limit'
import swagger from '@fastify/swagger'
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import type { Logger } from 'pino'
import { API_PREFIX } from '@golem-vm/protocol'
import type { AdvertisementService } from '../app/advertisement-service.js'
import { DiscoveryError } from '../domain/errors.js'
import type { AuthOptions } from './auth.js'
import { registerCors } from './cors.js'
import { acceptRawJson } from '@golem-vm/common/raw-json-body'
import { limitedServerFactory, sampledRefusalLog, type ConnectionLimits } from '@golem-vm/common/http-server-limits'
import { discoveryErrors } from './error-handler.js'
import { advertisementRoutes, healthRoutes } from './routes.js'

/** Everything the server needs; `rateLimitPerMinute` 0 turns the limit off. */
export interface ServerDeps {
  readonly service: AdvertisementService
  readonly auth: AuthOptions
  readonly logger: Logger
  readonly rateLimitPerMinute: number
  /** Fastify's `trustProxy`: whom to believe about the client address (X-Forwarded-For). */
  readonly trustProxy: boolean | string[]
  readonly version: string
  /** Connection bounds against slow or piled-up clients. */
  readonly connections: ConnectionLimits
}

export type { ConnectionLimits }

// The Node server with request and body deadlines and a cap per source; one log line per 1,000 refusals.
const serverFactory = (limits: ConnectionLimits, logger: Logger) =>
  limitedServerFactory(
    limits,
    sampledRefusalLog((address) => {
      logger.warn({ event: 'connection-refused', address, limit: limits.maxPerAddress }, 'connection refused: too many open connections from one address')
    }),
  )

/** An advertisement is a few hundred bytes; anything far larger is refused (ADV_008). */
export const BODY_LIMIT_BYTES = 16 * 1024

// Per-client limit (the client address honours trustProxy); /health and preflights are exempt.
async function registerRateLimit(app: FastifyInstance, perMinute: number): Promise<void> {
  if (perMinute === 0) return
  await app.register(rateLimit, {
    max: perMinute,
    timeWindow: 60_000,
    cache: 10_000,
    errorResponseBuilder: (_request, context) =>
      new DiscoveryError('RATE_001', `Rate limit exceeded: at most ${context.max} requests per minute per client; retry in ${context.after}`),
  })
}

/** Builds the server with every route registered; call `listen` or `inject` on it. */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const loggerInstance: FastifyBaseLogger = deps.logger // widened so Fastify keeps its default logger type
  const app = Fastify({
    loggerInstance,
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: deps.trustProxy,
    logController: new LogController({ disableRequestLogging: true }), // one debug line per request instead (onResponse below)
    return503OnClosing: true,
    serverFactory: serverFactory(deps.connections, deps.logger),
  })
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  discoveryErrors.install(app)
  app.addHook('onResponse', (request, reply, done) => {
    request.log.debug({ method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request')
    done()
  })
  // Only JSON bodies in valid UTF-8 are accepted, and their exact bytes are kept: the signature covers them,
  // and renters check it against the same text.
  acceptRawJson(app, { invalid: (reason) => new DiscoveryError('ADV_006', `The body is not valid JSON in UTF-8: ${reason}`) })
  registerCors(app)
  await registerRateLimit(app, deps.rateLimitPerMinute)
  await app.register(swagger, {
    openapi: {
      info: { title: 'Golem VM discovery service', description: 'Providers advertise (signed); requestors search.', version: deps.version },
      tags: [{ name: 'advertisements' }, { name: 'health' }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject, // puts the schemas with a meta id under components, where the refs point
  })
  app.get(`${API_PREFIX}/openapi.json`, { schema: { hide: true } }, () => app.swagger())
  const typed = app.withTypeProvider<ZodTypeProvider>()
  await typed.register(healthRoutes(deps.service))
  await typed.register(advertisementRoutes(deps.service, deps.auth))
  return app
}
