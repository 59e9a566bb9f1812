/**
 * Provider-wide routes: status and health.
 *
 * @module
 */
import { z } from 'zod'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { ErrorBody, ProviderStatus } from '@golem-vm/protocol'

export const statusRoutes =
  (status: () => ProviderStatus): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/provider/status',
      {
        schema: {
          operationId: 'getProviderStatus',
          summary: 'Capacity, allocations, free ports, VM count, version and backend.',
          tags: ['provider'],
          response: { 200: ProviderStatus, 429: ErrorBody },
        },
      },
      async () => status(),
    )
  }

export const healthRoutes = (): FastifyPluginAsyncZod => async (app) => {
  app.get(
    '/health',
    {
      schema: {
        operationId: 'health',
        summary: 'Answers 200 once the provider accepts VM requests.',
        tags: ['provider'],
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  )
}
