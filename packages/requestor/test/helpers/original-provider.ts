/**
 * A provider and a discovery service that answer byte for byte like the
 * original 0.1.21 (../shared/design/protocol.md, sections A and B): the five
 * provider routes and nothing else (start and stop are 404 `Not Found`), its
 * JSON written compactly as Starlette writes it, naive timestamps,
 * `200 null` on delete (also for unknown names), `200` with status `error`
 * for an unknown VM, `404 VM mapping not found` from `/access`, plain-text
 * `500 Internal Server Error` when a launch fails, FastAPI's 404/405/422
 * shapes; no authentication, so every caller sees every VM. The provider
 * listens on port 7466 (the original requestor's fixed port) of a random
 * 127/8 address, so runs never collide. VMs are real: see `original-vms.ts`.
 *
 * @module
 */
import { mkdirSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { TestContext } from 'node:test'
import { Wallet } from 'ethers'
import { deleteOriginalVm, instanceInfo, launchOriginalVm, multipass, type OriginalVm } from './original-vms.js'

/** The original's fixed provider port. */
export const ORIGINAL_PORT = 7466

/** A running fake original provider. */
export interface OriginalProvider {
  readonly providerId: string
  readonly ip: string
  readonly apiUrl: string
  /** Every request as received: method and URL, and the signature header it carried (ignored by the original). */
  readonly requests: { method: string; url: string; signed: boolean }[]
  readonly vms: Map<string, OriginalVm>
}

/** `datetime.utcnow().isoformat()`: naive UTC, microseconds unless they are 0. */
export function pythonNow(date = new Date()): string {
  const iso = date.toISOString().slice(0, 19)
  const micros = date.getUTCMilliseconds() * 1000 + Math.floor(Math.random() * 1000)
  return micros === 0 ? iso : `${iso}.${String(micros).padStart(6, '0')}`
}

// Starlette's JSONResponse: compact separators, UTF-8, application/json; uvicorn's own headers.
function send(res: ServerResponse, status: number, body: unknown): void {
  const bytes = Buffer.from(JSON.stringify(body), 'utf8')
  res.writeHead(status, { date: new Date().toUTCString(), server: 'uvicorn', 'content-length': bytes.length, 'content-type': 'application/json' }).end(bytes)
}

function internalError(res: ServerResponse): void {
  res
    .writeHead(500, { date: new Date().toUTCString(), server: 'uvicorn', 'content-length': 21, 'content-type': 'text/plain; charset=utf-8' })
    .end('Internal Server Error')
}

const NAME = /^[a-z0-9][a-z0-9-]*[a-z0-9]$/
const KEY = /^(ssh-rsa|ssh-ed25519) /

// pydantic's 422 list for the create body (the checks the original makes, in its order).
function createErrors(body: Record<string, unknown>): unknown[] {
  const errors: unknown[] = []
  const name = body.name
  if (typeof name !== 'string') errors.push({ loc: ['body', 'name'], msg: 'field required', type: 'value_error.missing' })
  else if (name.length < 3)
    errors.push({ loc: ['body', 'name'], msg: 'ensure this value has at least 3 characters', type: 'value_error.any_str.min_length', ctx: { limit_value: 3 } })
  else if (!NAME.test(name))
    errors.push({ loc: ['body', 'name'], msg: `string does not match regex "${NAME.source}"`, type: 'value_error.str.regex', ctx: { pattern: NAME.source } })
  else if (name.includes('--')) errors.push({ loc: ['body', 'name'], msg: 'VM name cannot contain consecutive hyphens', type: 'value_error' })
  if (typeof body.ssh_key !== 'string') errors.push({ loc: ['body', 'ssh_key'], msg: 'field required', type: 'value_error.missing' })
  else if (!KEY.test(body.ssh_key))
    errors.push({ loc: ['body', 'ssh_key'], msg: `string does not match regex "${KEY.source}"`, type: 'value_error.str.regex', ctx: { pattern: KEY.source } })
  return errors
}

// Resource resolution (A.2): an object is used as given; absent means 1/1/10 (size ignored).
function resourcesOf(body: Record<string, unknown>): OriginalVm['resources'] {
  const r = body.resources
  if (typeof r === 'object' && r !== null) return r as OriginalVm['resources']
  return { cpu: 1, memory: 1, storage: 10 }
}

const vmInfoOf = (name: string, status: string, resources: OriginalVm['resources'], ip: string | null, sshPort: number | null, errorMessage: string | null) => {
  const now = pythonNow()
  return { id: name, name, status, resources, ip_address: ip, ssh_port: sshPort, created_at: now, updated_at: now, error_message: errorMessage }
}

// GET /vms/{name} (A.4): built from `multipass info`; always 200, status "error" when anything fails.
async function vmStatus(state: string, vms: Map<string, OriginalVm>, name: string) {
  const vm = vms.get(name)
  const info = vm === undefined ? undefined : await instanceInfo(state, vm.multipassName)
  if (vm === undefined || info === undefined) return vmInfoOf(name, 'error', { cpu: 1, memory: 1, storage: 10 }, null, null, `VM ${name} not found`)
  return vmInfoOf(name, info.state.toLowerCase(), { cpu: Number(info.cpu_count), memory: 1, storage: 10 }, info.ipv4[0] ?? null, vm.sshPort, null)
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

async function create(p: OriginalProvider, state: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const text = await readBody(req)
  let body: Record<string, unknown>
  try {
    body = JSON.parse(text) as Record<string, unknown>
  } catch {
    send(res, 422, {
      detail: [
        {
          loc: ['body', 0],
          msg: 'Expecting value: line 1 column 1 (char 0)',
          type: 'value_error.jsondecode',
          ctx: { msg: 'Expecting value', doc: text, pos: 0, lineno: 1, colno: 1 },
        },
      ],
    })
    return
  }
  const errors = createErrors(body)
  if (errors.length > 0) {
    send(res, 422, { detail: errors })
    return
  }
  const name = body.name as string
  const resources = resourcesOf(body)
  try {
    const image = typeof body.image === 'string' && body.image !== '' ? body.image : '24.04'
    const vm = await launchOriginalVm(state, p.ip, { name, sshKey: body.ssh_key as string, image, resources })
    p.vms.set(name, vm)
    send(res, 200, vmInfoOf(name, 'running', resources, vm.ip, vm.sshPort, null))
  } catch {
    internalError(res)
  }
}

async function route(p: OriginalProvider, state: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? ''
  const path = decodeURIComponent((req.url ?? '').split('?')[0] ?? '')
  const one = /^\/api\/v1\/vms\/([^/]+)$/.exec(path)?.[1]
  const access = /^\/api\/v1\/vms\/([^/]+)\/access$/.exec(path)?.[1]
  if (path === '/api/v1/vms') {
    if (method === 'POST') return create(p, state, req, res)
    if (method === 'GET') return send(res, 200, await Promise.all([...p.vms.keys()].map((name) => vmStatus(state, p.vms, name))))
  } else if (one !== undefined) {
    if (method === 'GET') return send(res, 200, await vmStatus(state, p.vms, one))
    if (method === 'DELETE') {
      const vm = p.vms.get(one)
      if (vm !== undefined) {
        p.vms.delete(one)
        await deleteOriginalVm(state, vm)
      }
      return send(res, 200, null)
    }
  } else if (access !== undefined) {
    if (method === 'GET') {
      const vm = p.vms.get(access)
      if (vm === undefined) return send(res, 404, { detail: 'VM mapping not found' })
      return send(res, 200, { ssh_host: 'localhost', ssh_port: vm.sshPort, vm_id: access, multipass_name: vm.multipassName })
    }
  } else {
    return send(res, 404, { detail: 'Not Found' })
  }
  send(res, 405, { detail: 'Method Not Allowed' })
}

// A random 127/8 address away from the fake multipass's 127.0.0.N, for port 7466.
const randomLoopback = (): string => `127.${64 + Math.floor(Math.random() * 180)}.${Math.floor(Math.random() * 256)}.${1 + Math.floor(Math.random() * 253)}`

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    const attempt = (left: number): void => {
      const ip = randomLoopback()
      server.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' && left > 0 ? attempt(left - 1) : reject(error)))
      server.listen(ORIGINAL_PORT, ip, () => {
        server.removeAllListeners('error')
        resolve(ip)
      })
    }
    attempt(20)
  })
}

/** Starts the fake original provider backed by the fake multipass in `state`; everything is stopped when the test ends. */
export async function startOriginalProvider(t: TestContext, state: string): Promise<OriginalProvider> {
  mkdirSync(state, { recursive: true })
  const requests: OriginalProvider['requests'] = []
  const provider = { providerId: new Wallet(Wallet.createRandom().privateKey).address, ip: '', apiUrl: '', requests, vms: new Map<string, OriginalVm>() }
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', signed: req.headers['x-golem-signature'] !== undefined })
    route(provider, state, req, res).catch(() => {
      internalError(res)
    })
  })
  provider.ip = await listen(server)
  provider.apiUrl = `http://${provider.ip}:${ORIGINAL_PORT}`
  t.after(async () => {
    for (const vm of provider.vms.values()) vm.relay.close()
    await multipass(state, ['--fake-reset']).catch(() => undefined)
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  return provider
}

/**
 * An original discovery service (B.3, B.4) listing `ads()`: no `signed`, no
 * `provider_name`, naive timestamps, 404 `ADV_004` for an unknown provider.
 */
export async function startOriginalDiscovery(t: TestContext, ads: () => { provider_id: string; ip_address: string }[]): Promise<string> {
  const advert = (ad: { provider_id: string; ip_address: string }) => ({
    ...ad,
    country: 'SE',
    resources: { cpu: 4, memory: 8, storage: 100 },
    created_at: pythonNow(),
    updated_at: pythonNow(),
  })
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0] ?? ''
    if (req.method === 'GET' && path === '/api/v1/advertisements') return send(res, 200, ads().map(advert))
    const id = /^\/api\/v1\/advertisements\/([^/]+)$/.exec(path)?.[1]
    if (req.method === 'GET' && id !== undefined) {
      const ad = ads().find((a) => a.provider_id === decodeURIComponent(id))
      return ad === undefined ? send(res, 404, { detail: { code: 'ADV_004', message: 'Advertisement not found' } }) : send(res, 200, advert(ad))
    }
    send(res, 404, { detail: 'Not Found' })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`
}
