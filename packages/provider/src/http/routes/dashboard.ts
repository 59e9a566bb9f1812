/**
 * The operator's dashboard: the page (`/ui` and its script and stylesheet,
 * open to anyone: they hold no data) and its data (`GET /ui/api/state`,
 * admin token only). Actions go through the VM routes with the same token.
 *
 * @module
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { ErrorBody } from '@golem-vm/protocol'
import type { Caller } from '../../app/vm-service.js'
import { operatorOnly } from '../auth.js'
import { DashboardState } from '../dashboard/dashboard-state.js'
import { PAGE_CSS, PAGE_HTML, PAGE_JS } from '../dashboard/page.js'

// The page runs only its own script and talks only to this provider; nothing may frame it.
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

const asset = (reply: FastifyReply, type: string, body: string) =>
  reply
    .type(type)
    .header('content-security-policy', CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-cache')
    .send(body)

export const dashboardRoutes =
  (state: () => DashboardState, authenticate: (request: FastifyRequest) => Promise<Caller>): FastifyPluginAsyncZod =>
  async (app) => {
    const operator = operatorOnly(authenticate, "the dashboard's data")
    app.get('/ui', { schema: { hide: true } }, async (_req, reply) => asset(reply, 'text/html; charset=utf-8', PAGE_HTML))
    app.get('/ui/app.js', { schema: { hide: true } }, async (_req, reply) => asset(reply, 'text/javascript; charset=utf-8', PAGE_JS))
    app.get('/ui/app.css', { schema: { hide: true } }, async (_req, reply) => asset(reply, 'text/css; charset=utf-8', PAGE_CSS))
    app.get(
      '/ui/api/state',
      {
        schema: {
          operationId: 'getDashboardState',
          tags: ['provider'],
          summary:
            'Everything the operator dashboard (/ui) shows: status, port verification, every VM with owner and traffic, the last log events. Admin token only.',
          response: { 200: DashboardState, 401: ErrorBody, 429: ErrorBody },
        },
        preValidation: async (req) => {
          await operator(req)
        },
      },
      async (_req, reply) => reply.header('cache-control', 'no-store').send(state()),
    )
  }
