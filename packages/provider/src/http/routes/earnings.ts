/**
 * The operator's earnings routes: what every stream has paid, and the
 * withdrawal of what has vested. Only the admin token may call them.
 *
 * @module
 */
import type { FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { ErrorBody, ProviderEarnings, WithdrawResult, type OfferPricing } from '@golem-vm/protocol'
import type { Earnings } from '../../app/payments/earnings.js'
import type { Caller } from '../../app/vm-service.js'
import { ProviderError } from '../../domain/errors.js'

export interface EarningsRoutesDeps {
  /** Absent on a free provider. */
  readonly earnings: Earnings | undefined
  readonly pricing: OfferPricing | null
  readonly authenticate: (request: FastifyRequest) => Promise<Caller>
}

const errors = { 401: ErrorBody, 429: ErrorBody, 500: ErrorBody, 503: ErrorBody }

export const earningsRoutes =
  ({ earnings, pricing, authenticate }: EarningsRoutesDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.addHook('preValidation', async (req) => {
      if ((await authenticate(req)).kind !== 'operator')
        throw new ProviderError('UNAUTHORIZED', "earnings are the operator's: send the admin token (golem-provider earnings does)")
    })

    app.get(
      '/provider/earnings',
      {
        schema: {
          operationId: 'getEarnings',
          summary: 'Earned, withdrawn and pending payments per stream and in total (operator only).',
          tags: ['provider'],
          response: { 200: ProviderEarnings, ...errors },
        },
      },
      async () => {
        if (earnings === undefined) return { pricing, streams: [], total: { earned: '0', withdrawn: '0', pending: '0' } }
        const report = await earnings.report()
        return {
          pricing,
          streams: report.streams.map((s) => ({
            vm_id: s.vmId,
            stream_id: s.streamId,
            vm_exists: s.vmExists,
            ended: s.ended,
            earned: s.earned.toString(),
            withdrawn: s.withdrawn.toString(),
            pending: s.pending.toString(),
          })),
          total: { earned: report.total.earned.toString(), withdrawn: report.total.withdrawn.toString(), pending: report.total.pending.toString() },
        }
      },
    )

    app.post(
      '/provider/earnings/withdraw',
      {
        schema: {
          operationId: 'withdrawEarnings',
          summary: "Withdraw every vested payment to the provider's address now (operator only).",
          tags: ['provider'],
          response: { 200: WithdrawResult, ...errors },
        },
      },
      async () => {
        const amounts = earnings === undefined ? new Map<bigint, bigint>() : await earnings.withdraw()
        const withdrawn = [...amounts].map(([id, amount]) => ({ stream_id: id.toString(), amount: amount.toString() }))
        return { withdrawn, total: [...amounts.values()].reduce((a, b) => a + b, 0n).toString() }
      },
    )
  }
