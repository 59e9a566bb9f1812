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
import { errorBody, handleError } from './error-handler.js'
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
}

/** An advertisement is a few hundred bytes; anything far larger is refused (ADV_008). */
export const BODY_LIMIT_BYTES = 16 * 1024

// Refuses keys that could reach an object's prototype later on (JSON.parse itself keeps them as plain keys).
function noPrototypeKeys(key: string, value: unknown): unknown {
  if (key === '__proto__' || key === 'constructor' || key === 'prototype') throw new SyntaxError(`the key "${key}" is not allowed`)
  return value
}

// Only JSON bodies are accepted, and their exact bytes are kept: the signature covers them.
function registerJsonParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body: Buffer, done) => {
    request.rawBody = body
    if (body.length === 0) { done(null, undefined); return }
    try {
      done(null, JSON.parse(body.toString('utf8'), noPrototypeKeys))
    } catch (error) {
      done(new DiscoveryError('ADV_006', `The body is not valid JSON: ${(error as Error).message}`), undefined)
    }
  })
}

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
  })
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  app.setErrorHandler(handleError)
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(errorBody('ROUTE_001', `Not Found: no route ${request.method} ${request.url.split('?')[0] ?? ''}; see ${API_PREFIX}/openapi.json`)),
  )
  app.addHook('onResponse', (request, reply, done) => {
    request.log.debug({ method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request')
    done()
  })
  registerJsonParser(app)
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
  await typed.register(healthRoutes)
  await typed.register(advertisementRoutes(deps.service, deps.auth))
  return app
}
