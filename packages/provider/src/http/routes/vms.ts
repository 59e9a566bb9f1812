/**
 * The VM routes. Thin by design: the schema validates, the use case acts,
 * the view shapes the answer; errors go to the error handler.
 *
 * @module
 */
import { z } from 'zod'
import type { FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { AddPortsRequest, CreateVmRequest, ErrorBody, VmAccessInfo, VmIdParams, VmInfo, VmPortParams, type VmPayment } from '@golem-vm/protocol'
import type { VmRecord } from '../../domain/vm.js'
import type { Caller, VmService } from '../../app/vm-service.js'
import type { Authenticator } from '../auth.js'
import { toCreateVmCommand } from '../create-vm-command.js'
import { toAccessInfo, toVmInfo as vmView } from '../views.js'

export interface VmRoutesDeps {
  readonly vms: VmService
  /** The address renters connect to. */
  readonly sshHost: () => string
  readonly auth: Authenticator
  /** A paid VM's payment state (undefined for a free VM, or a free provider). */
  readonly paymentOf?: (vm: VmRecord) => VmPayment | undefined
}

// Set by the preValidation hook below; a handler without it is a wiring defect, never anonymous access.
function callerOf(req: FastifyRequest): Caller {
  if (req.caller === undefined) throw new Error('request reached a VM route without authentication')
  return req.caller
}

/** The signature headers, documented in the OpenAPI document (checked by the authentication hook). */
const SignedHeaders = z.looseObject({
  'x-golem-requestor': z.string().optional().meta({ description: "The renter's Ethereum address." }),
  'x-golem-signature': z.string().optional().meta({
    description:
      "EIP-191 signature of the canonical request message (scheme golem-vm-request/1: audience = this provider's address, method, path with query, SHA-256 of the exact body, signer, timestamp, nonce).",
  }),
  'x-golem-timestamp': z.string().optional().meta({ description: 'Milliseconds since the epoch; must be within 120 s of the provider clock.' }),
  'x-golem-nonce': z.string().optional().meta({ description: '16-64 hex digits, never reused.' }),
  authorization: z.string().optional().meta({ description: "Bearer <admin token> for the operator (the data dir's admin-token file)." }),
})

const errors = {
  400: ErrorBody,
  401: ErrorBody,
  402: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  429: ErrorBody,
  500: ErrorBody,
  502: ErrorBody,
  503: ErrorBody,
  504: ErrorBody,
  507: ErrorBody,
}
const Deleted = z.object({ vm_id: z.string(), status: z.literal('deleted') })

export const vmRoutes =
  ({ vms, sshHost, auth, paymentOf }: VmRoutesDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const toVmInfo = (vm: VmRecord, host: string): VmInfo => vmView(vm, host, paymentOf?.(vm))
    // What the headers alone refuse is refused before the body is read; the connection is then closed, its body unread.
    app.addHook('onRequest', async (req, reply) => {
      try {
        auth.checkHeaders(req)
      } catch (error) {
        void reply.header('connection', 'close')
        throw error
      }
    })
    // Authentication comes before validation: an unsigned request learns nothing about its body.
    app.addHook('preValidation', async (req) => {
      req.caller = await auth.authenticate(req)
    })

    app.post(
      '/vms',
      {
        schema: {
          headers: SignedHeaders,
          operationId: 'createVm',
          summary: 'Create a VM; answers once it runs and its SSH port is open.',
          tags: ['vms'],
          body: CreateVmRequest,
          response: { 201: VmInfo, ...errors },
        },
      },
      async (req, reply) => reply.code(201).send(toVmInfo(await vms.create(toCreateVmCommand(req.body, callerOf(req))), sshHost())),
    )

    app.get(
      '/vms',
      {
        schema: { headers: SignedHeaders, operationId: 'listVms', summary: "The caller's VMs.", tags: ['vms'], response: { 200: z.array(VmInfo), ...errors } },
      },
      async (req) => vms.list(callerOf(req)).map((vm) => toVmInfo(vm, sshHost())),
    )

    app.get(
      '/vms/:id',
      {
        schema: { headers: SignedHeaders, operationId: 'getVm', tags: ['vms'], params: VmIdParams, response: { 200: VmInfo, ...errors } },
      },
      async (req) => toVmInfo(vms.get(req.params.id, callerOf(req)), sshHost()),
    )

    app.get(
      '/vms/:id/access',
      {
        schema: {
          headers: SignedHeaders,
          operationId: 'getVmAccess',
          summary: 'Where to SSH: host, port and user.',
          tags: ['vms'],
          params: VmIdParams,
          response: { 200: VmAccessInfo, ...errors },
        },
      },
      async (req) => toAccessInfo(vms.get(req.params.id, callerOf(req)), sshHost()),
    )

    app.post(
      '/vms/:id/start',
      {
        schema: { headers: SignedHeaders, operationId: 'startVm', tags: ['vms'], params: VmIdParams, response: { 200: VmInfo, ...errors } },
      },
      async (req) => toVmInfo(await vms.start(req.params.id, callerOf(req)), sshHost()),
    )

    app.post(
      '/vms/:id/stop',
      {
        schema: { headers: SignedHeaders, operationId: 'stopVm', tags: ['vms'], params: VmIdParams, response: { 200: VmInfo, ...errors } },
      },
      async (req) => toVmInfo(await vms.stop(req.params.id, callerOf(req)), sshHost()),
    )

    app.post(
      '/vms/:id/ports',
      {
        schema: {
          headers: SignedHeaders,
          operationId: 'addVmPorts',
          summary: 'Map more guest ports of a running or stopped VM, each on a verified public port.',
          tags: ['vms'],
          params: VmIdParams,
          body: AddPortsRequest,
          response: { 200: VmInfo, ...errors },
        },
      },
      async (req) =>
        toVmInfo(
          await vms.addPorts(
            req.params.id,
            callerOf(req),
            req.body.ports.map(({ guest, protocol }) => ({ guest, protocol })),
          ),
          sshHost(),
        ),
    )

    app.delete(
      '/vms/:id/ports/:public_port',
      {
        schema: {
          headers: SignedHeaders,
          operationId: 'removeVmPort',
          summary: 'Remove a mapping and free its public port.',
          tags: ['vms'],
          params: VmPortParams,
          response: { 200: VmInfo, ...errors },
        },
      },
      async (req) => toVmInfo(await vms.removePort(req.params.id, callerOf(req), req.params.public_port), sshHost()),
    )

    app.delete(
      '/vms/:id',
      {
        schema: {
          headers: SignedHeaders,
          operationId: 'deleteVm',
          summary: 'Delete a VM and free everything it held.',
          tags: ['vms'],
          params: VmIdParams,
          response: { 200: Deleted, ...errors },
        },
      },
      async (req) => {
        await vms.delete(req.params.id, callerOf(req))
        return { vm_id: req.params.id, status: 'deleted' as const }
      },
    )
  }
