/**
 * The two routes of the original port checker. Thin by design: the schemas
 * validate, the service decides, and `error-handler.ts` turns any error into
 * its status and JSON body.
 *
 * @module
 */
import { CheckPortsRequest, CheckPortsResponse, PortCheckErrorBody, PortCheckHealth, serializeCheckPortsResponse } from '@golem-vm/protocol'
import type { FastifyReply } from 'fastify'
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod'
import type { CheckReport, PortCheckService } from './port-check-service.js'

// Sends the 200 body as ready JSON text with `results` keys in request order, which a plain object cannot keep
// for numeric keys. Fastify sends a string with a JSON content type as it is; a serializing error is thrown
// here, inside the handler, and reaches the error handler like any other.
const sendInRequestOrder = (reply: FastifyReply, report: CheckReport): FastifyReply =>
  reply.type('application/json; charset=utf-8').send(serializeCheckPortsResponse(report.response, report.order))

const ERROR_RESPONSES = {
  400: PortCheckErrorBody,
  403: PortCheckErrorBody,
  413: PortCheckErrorBody,
  415: PortCheckErrorBody,
  429: PortCheckErrorBody,
  500: PortCheckErrorBody,
  503: PortCheckErrorBody,
}

/**
 * `GET /health` → `{"status":"ok"}` (not rate limited) and `POST /check-ports`
 * (rate limited per caller). The caller is `request.ip`, which honours the
 * trust-proxy setting.
 */
export const portCheckRoutes =
  (service: PortCheckService): FastifyPluginCallbackZod =>
  (app, _options, done) => {
    app.get(
      '/health',
      { config: { rateLimit: false }, schema: { operationId: 'health', summary: 'Liveness check', response: { 200: PortCheckHealth } } },
      () => ({ status: 'ok' as const }),
    )
    app.post(
      '/check-ports',
      {
        schema: {
          operationId: 'checkPorts',
          summary: "Checks which of the caller's ports accept a TCP connection",
          body: CheckPortsRequest,
          response: { 200: CheckPortsResponse, ...ERROR_RESPONSES },
        },
      },
      async (request, reply) => sendInRequestOrder(reply, await service.check(request.ip, request.body, request.log)),
    )
    done()
  }
