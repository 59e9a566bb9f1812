/**
 * The discovery routes, with the original's paths and shapes. Handlers only
 * call the service and render; authentication is the `preValidation` hook,
 * so a forged write is refused (401) before its body is even looked at.
 *
 * @module
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { FastifyRequest } from 'fastify'
import {
  ADVERTISEMENTS_PATH,
  Advertisement,
  AdvertisementBody,
  AdvertisementList,
  AdvertisementQuery,
  DeleteAdvertisementResponse,
  DiscoveryErrorBody,
  DiscoveryHealth,
  DiscoveryUnhealthy,
} from '@golem-vm/protocol'
import type { AdvertisementService } from '../app/advertisement-service.js'
import { toWire } from '../domain/advertisement.js'
import { authHook, posterOf, preAuthHook, type AuthOptions } from './auth.js'

const ProviderIdParams = z.strictObject({
  provider_id: z.string().max(200).meta({ description: 'Provider id (Ethereum address, any letter case).' }),
})

const SignatureHeaders = z.object({
  'x-provider-id': z.string().optional().meta({ description: 'Ethereum address of the provider.' }),
  'x-provider-signature': z.string().optional().meta({ description: 'EIP-191 signature of the canonical request message (audience "discovery").' }),
  'x-golem-timestamp': z.string().optional().meta({ description: 'Epoch milliseconds when the request was signed.' }),
  'x-golem-nonce': z.string().optional().meta({ description: '16-64 lower-case hex digits, new for every request.' }),
})

const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, DiscoveryErrorBody]))

// A listing can hold thousands of advertisements; zod-encoding each costs ~8x JSON.stringify. The handler
// output is already typed as the wire schema (`toWire`), so the list route serialises it directly.
const plainJson =
  () =>
  (data: unknown): string =>
    JSON.stringify(data)

/** Health check, exempt from the rate limit: 200 while the database answers, 503 while it does not. */
export function healthRoutes(service: AdvertisementService): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/health',
      {
        config: { rateLimit: false },
        schema: { tags: ['health'], response: { 200: DiscoveryHealth, 503: DiscoveryUnhealthy } },
      },
      async (_request, reply) => {
        if (await service.healthy()) return reply.code(200).send({ status: 'healthy' as const, database: 'ok' as const })
        return reply
          .code(503)
          .header('retry-after', '5')
          .send({
            status: 'unhealthy' as const,
            database: 'unavailable' as const,
            message: 'the database does not answer; this instance reconnects by itself',
          })
      },
    )
  }
}

// The advertised address against the sender, on the parsed body, before the signature is recovered.
const addressCheck =
  (service: AdvertisementService) =>
  (request: FastifyRequest): void => {
    const ip = (request.body as { ip_address?: unknown } | undefined)?.ip_address
    if (typeof ip === 'string' && AdvertisementBody.shape.ip_address.safeParse(ip).success) service.checkAddress(ip, request.ip)
  }

// The path of the next page: the same query with the cursor.
function nextPage(query: AdvertisementQuery, cursor: string): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query) as [string, string | undefined][]) if (value !== undefined && key !== 'after') params.set(key, value)
  params.set('after', cursor)
  return `${ADVERTISEMENTS_PATH}?${params.toString()}`
}

/** The advertisement routes under `/api/v1/advertisements`. */
export function advertisementRoutes(service: AdvertisementService, auth: AuthOptions): FastifyPluginAsyncZod {
  const preAuthenticate = preAuthHook(auth)
  const authenticate = authHook(auth)
  return async (app) => {
    app.post(
      ADVERTISEMENTS_PATH,
      {
        onRequest: preAuthenticate,
        preValidation: authHook(auth, addressCheck(service)),
        schema: {
          tags: ['advertisements'],
          summary: "Create or replace the signing provider's advertisement",
          headers: SignatureHeaders,
          body: AdvertisementBody,
          response: { 200: Advertisement, ...errors(400, 401, 403, 409, 413, 415, 422, 429, 500, 503) },
        },
      },
      async (request) => toWire(await service.publish(request.body, request.rawBody?.toString('utf8') ?? '', posterOf(request), request.ip)),
    )

    app.get(
      ADVERTISEMENTS_PATH,
      {
        serializerCompiler: plainJson,
        schema: {
          tags: ['advertisements'],
          summary: 'One page of fresh advertisements matching every given filter (Link: rel="next" when more match)',
          querystring: AdvertisementQuery,
          response: { 200: AdvertisementList, ...errors(400, 422, 429, 500, 503) },
        },
      },
      async (request, reply) => {
        const page = await service.list(request.query)
        if (page.next !== undefined) void reply.header('link', `<${nextPage(request.query, page.next)}>; rel="next"`)
        return page.records.map(toWire)
      },
    )

    app.get(
      `${ADVERTISEMENTS_PATH}/:provider_id`,
      {
        schema: {
          tags: ['advertisements'],
          summary: "One provider's fresh advertisement",
          params: ProviderIdParams,
          response: { 200: Advertisement, ...errors(404, 422, 429, 500, 503) },
        },
      },
      async (request) => toWire(await service.get(request.params.provider_id)),
    )

    app.delete(
      `${ADVERTISEMENTS_PATH}/:provider_id`,
      {
        onRequest: preAuthenticate,
        preValidation: authenticate,
        schema: {
          tags: ['advertisements'],
          summary: "Delete the signing provider's own advertisement",
          headers: SignatureHeaders,
          params: ProviderIdParams,
          response: { 200: DeleteAdvertisementResponse, ...errors(401, 404, 422, 429, 500, 503) },
        },
      },
      async (request) => {
        await service.remove(request.params.provider_id, posterOf(request))
        return { status: 'success' as const }
      },
    )
    await Promise.resolve()
  }
}
