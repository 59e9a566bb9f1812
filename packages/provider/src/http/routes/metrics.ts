/**
 * `GET /metrics`: the Prometheus text format on the API port. It needs the
 * admin token unless the operator made it public
 * (GOLEM_PROVIDER_METRICS_PUBLIC); the separate loopback listener
 * (infra/metrics/metrics-listener.ts) serves the same text without one.
 *
 * @module
 */
import { z } from 'zod'
import type { FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { ErrorBody } from '@golem-vm/protocol'
import type { Caller } from '../../app/vm-service.js'
import type { HttpObservation } from '../../infra/metrics/provider-metrics.js'
import { operatorOnly } from '../auth.js'

/** What the HTTP edge needs of the metrics: the text, and where each answered request is recorded. */
export interface MetricsEndpoint {
  render(): Promise<string>
  readonly contentType: string
  /** Answer without the admin token. */
  readonly public: boolean
  /** Records one answered request (every route, the unmatched ones included). */
  observe(observation: HttpObservation): void
}

export const metricsRoutes =
  (metrics: MetricsEndpoint, authenticate: (request: FastifyRequest) => Promise<Caller>): FastifyPluginAsyncZod =>
  async (app) => {
    const operator = operatorOnly(authenticate, 'the metrics')
    app.get(
      '/metrics',
      {
        schema: {
          operationId: 'getMetrics',
          tags: ['provider'],
          summary: 'Prometheus metrics (text format 0.0.4); needs the admin token unless GOLEM_PROVIDER_METRICS_PUBLIC is set.',
          response: { 200: z.string().meta({ description: 'The Prometheus text format.' }), 401: ErrorBody, 429: ErrorBody },
        },
        preValidation: async (req) => {
          if (!metrics.public) await operator(req)
        },
      },
      async (_req, reply) =>
        reply
          .type(metrics.contentType)
          .header('cache-control', 'no-store')
          .send(await metrics.render()),
    )
  }
