/**
 * The discovery routes, with the original's paths and shapes. Handlers only
 * call the service and render; authentication is the `preValidation` hook,
 * so a forged write is refused (401) before its body is even looked at.
 *
 * @module
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import {
  ADVERTISEMENTS_PATH, Advertisement, AdvertisementBody, AdvertisementList, AdvertisementQuery,
  DeleteAdvertisementResponse, DiscoveryErrorBody, DiscoveryHealth,
} from '@golem-vm/protocol'
import type { AdvertisementService } from '../app/advertisement-service.js'
import { toWire } from '../domain/advertisement.js'
import { authHook, posterOf, type AuthOptions } from './auth.js'

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
const plainJson = () => (data: unknown): string => JSON.stringify(data)

/** Health check, exempt from the rate limit. */
export const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/health', { config: { rateLimit: false }, schema: { tags: ['health'], response: { 200: DiscoveryHealth } } }, () => ({
    status: 'healthy' as const,
  }))
  await Promise.resolve()
}

/** The advertisement routes under `/api/v1/advertisements`. */
export function advertisementRoutes(service: AdvertisementService, auth: AuthOptions): FastifyPluginAsyncZod {
  const authenticate = authHook(auth)
  return async (app) => {
    app.post(ADVERTISEMENTS_PATH, {
      preValidation: authenticate,
      schema: {
        tags: ['advertisements'], summary: 'Create or replace the signing provider\'s advertisement',
        headers: SignatureHeaders, body: AdvertisementBody, response: { 200: Advertisement, ...errors(400, 401, 413, 415, 422, 429, 500) },
      },
    }, (request) => toWire(service.publish(request.body, posterOf(request))))

    app.get(ADVERTISEMENTS_PATH, {
      serializerCompiler: plainJson,
      schema: {
        tags: ['advertisements'], summary: 'List fresh advertisements matching every given filter',
        querystring: AdvertisementQuery, response: { 200: AdvertisementList, ...errors(400, 422, 429, 500) },
      },
    }, (request) => service.list(request.query).map(toWire))

    app.get(`${ADVERTISEMENTS_PATH}/:provider_id`, {
      schema: {
        tags: ['advertisements'], summary: 'One provider\'s fresh advertisement',
        params: ProviderIdParams, response: { 200: Advertisement, ...errors(404, 422, 429, 500) },
      },
    }, (request) => toWire(service.get(request.params.provider_id)))

    app.delete(`${ADVERTISEMENTS_PATH}/:provider_id`, {
      preValidation: authenticate,
      schema: {
        tags: ['advertisements'], summary: 'Delete the signing provider\'s own advertisement',
        headers: SignatureHeaders, params: ProviderIdParams, response: { 200: DeleteAdvertisementResponse, ...errors(401, 404, 422, 429, 500) },
      },
    }, (request) => {
      service.remove(request.params.provider_id, posterOf(request))
      return { status: 'success' as const }
    })
    await Promise.resolve()
  }
}
