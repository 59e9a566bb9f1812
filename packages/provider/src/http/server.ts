/**
 * Builds the provider's HTTP server. It never listens by itself, so tests
 * drive it in process with `inject` and `main` decides where it listens.
 *
 * @module
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import rateLimit from '@fastify/rate-limit'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import type { Logger } from 'pino'
import { API_PREFIX, type ProviderStatus, type OfferPricing, type VmPayment } from '@golem-vm/protocol'
import type { Earnings } from '../app/payments/earnings.js'
import type { VmRecord } from '../domain/vm.js'
import { earningsRoutes } from './routes/earnings.js'
import type { Caller, VmService } from '../app/vm-service.js'
import { acceptRawJson } from '@golem-vm/common/raw-json-body'
import { limitedServerFactory, sampledRefusalLog, type ConnectionLimits } from '@golem-vm/common/http-server-limits'
import type { Authenticator } from './auth.js'
import { signAnswers, type AnswerSigner } from './answer-signing.js'
import { ProviderError } from '../domain/errors.js'
import { providerErrors } from './error-handler.js'
import type { DashboardState } from './dashboard/dashboard-state.js'
import { dashboardRoutes } from './routes/dashboard.js'
import { metricsRoutes, type MetricsEndpoint } from './routes/metrics.js'
import { healthRoutes, statusRoutes } from './routes/provider.js'
import { vmRoutes } from './routes/vms.js'

export interface ServerDeps {
  readonly vms: VmService
  readonly status: () => ProviderStatus
  readonly sshHost: () => string
  readonly logger: Logger
  readonly version: string
  readonly rateLimitPerMinute: number
  /** Identifies the caller of a VM route, or throws UNAUTHORIZED (see auth.ts). */
  readonly auth: Authenticator
  /** A paid VM's payment state, for its info (absent on a free provider). */
  readonly paymentOf?: (vm: VmRecord) => VmPayment | undefined
  /** The operator's earnings (absent on a free provider). */
  readonly earnings?: Earnings
  readonly pricing?: OfferPricing | null
  /** Request deadlines and connections per address; none when absent (in-process tests). */
  readonly connections?: ConnectionLimits
  /** Prometheus metrics: `GET /metrics`, and every answered request recorded; absent: neither. */
  readonly metrics?: MetricsEndpoint
  /** The operator dashboard's data; absent: no `/ui`. */
  readonly dashboard?: () => DashboardState
  /** Signs the answers to renters' signed requests (`golem-vm-answer/1`); absent: answers are unsigned. */
  readonly signAnswer?: AnswerSigner
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the VM routes' authentication hook, before validation. */
    caller?: Caller
  }
}

export const BODY_LIMIT_BYTES = 64 * 1024

const zodOnly = (): never => {
  throw new Error("a route schema reached Fastify's JSON-schema compilers; every schema here must be zod")
}

// Request and body deadlines and a cap per address (IPv6: /64): a body that never finishes, or one address's pile of connections, cannot take the descriptors.
const limitedServer = (limits: ConnectionLimits, logger: Logger) =>
  limitedServerFactory(
    limits,
    sampledRefusalLog((source, refused) => {
      logger.warn({ source, limit: limits.maxPerAddress, refused }, 'API connection refused: too many open connections from one address')
    }),
  )

export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const logger: FastifyBaseLogger = deps.logger
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: BODY_LIMIT_BYTES,
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    // Long ids reach the schema (a clear 400) instead of the router's own 414 body.
    routerOptions: { maxParamLength: 2048 },
    // A request deadline or unparsable HTTP is answered with the provider's JSON error body too.
    clientErrorHandler: providerErrors.clientError,
    frameworkErrors: (error, req, reply) => {
      void providerErrors.handle(error, req, reply)
    },
    // Every schema is zod, compiled by the compilers set below. Without these factories Fastify
    // loads Ajv and fast-json-stringify at start (~0.1 s, ~5 MiB) only to never use them.
    schemaController: { compilersFactory: { buildValidator: zodOnly, buildSerializer: zodOnly } },
    ...(deps.connections === undefined ? {} : { serverFactory: limitedServer(deps.connections, deps.logger) }),
  })
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  providerErrors.install(app)
  if (deps.signAnswer !== undefined) signAnswers(app, deps.signAnswer)
  const metrics = deps.metrics
  if (metrics !== undefined) {
    // By route pattern, never the raw URL: a label value is never chosen by the client.
    app.addHook('onResponse', async (req, reply) => {
      metrics.observe({ method: req.method, route: req.routeOptions.url ?? 'unmatched', status: reply.statusCode, durationMs: reply.elapsedTime })
    })
  }
  // JSON bodies are kept raw as well (signatures cover the exact bytes); an empty body is no body,
  // so `POST …/start` works with any or no content type.
  acceptRawJson(app, {
    invalid: (reason) => new ProviderError('VALIDATION_FAILED', `the request body is not valid JSON: ${reason}`),
    unsupported: () => new ProviderError('UNSUPPORTED_MEDIA_TYPE', 'send the body as JSON with Content-Type: application/json'),
  })
  await app.register(rateLimit, {
    max: deps.rateLimitPerMinute,
    timeWindow: 60_000,
    allowList: (req) => req.url === '/health',
    errorResponseBuilder: (_req, ctx) =>
      Object.assign(new Error(`too many requests: at most ${ctx.max} per minute; retry in ${Math.ceil(ctx.ttl / 1000)} s`), { statusCode: 429 }),
  })
  await app.register(swagger, {
    openapi: {
      info: { title: 'Golem VM provider', description: 'Rent out VMs on the Golem Network.', version: deps.version },
      tags: [{ name: 'vms' }, { name: 'provider' }],
    },
    transform: jsonSchemaTransform,
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
  const typed = app.withTypeProvider<ZodTypeProvider>()
  await typed.register(healthRoutes())
  await typed.register(vmRoutes({ vms: deps.vms, sshHost: deps.sshHost, auth: deps.auth, paymentOf: deps.paymentOf }), { prefix: API_PREFIX })
  await typed.register(earningsRoutes({ earnings: deps.earnings, pricing: deps.pricing ?? null, authenticate: (req) => deps.auth.authenticate(req) }), {
    prefix: API_PREFIX,
  })
  await typed.register(statusRoutes(deps.status), { prefix: API_PREFIX })
  if (metrics !== undefined) await typed.register(metricsRoutes(metrics, deps.auth.authenticate))
  if (deps.dashboard !== undefined) await typed.register(dashboardRoutes(deps.dashboard, deps.auth.authenticate))
  return app
}
