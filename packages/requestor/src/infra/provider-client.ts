/**
 * The renter's client of one provider's API. Every request is signed with
 * the renter's identity for the provider's address (the audience) over the
 * method, the path with query exactly as sent and the exact body bytes; the
 * four `X-Golem-*` headers carry the signature. Answers of this project's
 * provider and of an original 0.1.21 one are read (see `provider-answers.ts`),
 * each at most {@link MAX_ANSWER_BYTES} and within a deadline; errors become
 * {@link RequestorError}s whose message says what to do (`provider-errors.ts`).
 * Every answer must carry the provider's signature for this request
 * (`answer-check.ts`), unless the renter chose to trust an unsigned provider.
 *
 * @module
 */
import { API_PREFIX, SIGNATURE_HEADERS, signRequest } from '@golem-vm/protocol'
import type { Signer } from 'ethers'
import type { z } from 'zod'
import { RequestorError } from '../domain/errors.js'
import type { PortAsk } from '../domain/ports.js'
import { cleanText } from '../domain/terminal-text.js'
import { parseJsonOrUndefined as parseJson } from '@golem-vm/common'
import { httpRequest, TransportError, type HttpResponse } from '@golem-vm/common/http-request'
import type { CallOptions, CreateVmBody, ProviderApi, ProviderVmList } from '../app/ports/provider-api.js'
import { isOriginalNotFound, ProviderAccess, ProviderDeleted, ProviderVm } from '../domain/provider-answers.js'
import { checkAnswer, type UnsignedPolicy } from './answer-check.js'
import { errorFromResponse, transportError, type Operation } from './provider-errors.js'

/** The most a provider's answer may be: far more than any real answer, far less than memory. */
export const MAX_ANSWER_BYTES = 1024 * 1024

/** Where the provider is, who it is, who signs, and how long to wait. */
export interface ProviderClientOptions {
  /** Base URL of the provider API, e.g. `http://127.0.0.1:7466`. */
  readonly baseUrl: string
  /** The provider's address, from its advertisement: the audience of every signature. */
  readonly providerId: string
  /** The renter's identity. */
  readonly signer: Signer
  /** Reads and quick changes. Default 30 s. */
  readonly timeoutMs?: number
  /** Create, start, stop and delete (the provider answers once the change is done). Default 15 min. */
  readonly longTimeoutMs?: number
  /**
   * Use answers that carry no provider signature (the renter chose to trust
   * this provider: `--allow-unverified`), after one warning. Default false:
   * an unsigned answer is refused. A bad signature is refused either way.
   */
  readonly acceptUnsigned?: boolean
  /** Where the warning about unsigned answers goes (once per client). */
  readonly warn?: (message: string) => void
}

const vmPath = (id: string, suffix = ''): string => `${API_PREFIX}/vms/${encodeURIComponent(id)}${suffix}`

/** What each call does, for messages (see provider-errors.ts). */
const OPS = {
  create: { doing: 'creating the VM', optional: false, changes: true },
  list: { doing: 'listing your VMs', optional: false, changes: false },
  get: { doing: 'reading the VM', optional: false, changes: false },
  access: { doing: 'reading where to SSH to the VM', optional: false, changes: false },
  start: { doing: 'starting VMs', optional: true, changes: true },
  stop: { doing: 'stopping VMs', optional: true, changes: true },
  delete: { doing: 'deleting the VM', optional: false, changes: true },
  addPorts: { doing: 'mapping ports', optional: true, changes: true },
  removePort: { doing: 'removing port mappings', optional: true, changes: true },
} as const satisfies Record<string, Operation>

export type { CallOptions, CreateVmBody, ProviderVmList }

/** Talks to one provider on behalf of one renter. */
export class ProviderClient implements ProviderApi {
  readonly #o: Required<Omit<ProviderClientOptions, 'signer' | 'warn'>> & { signer: Signer }
  readonly #unsigned: UnsignedPolicy

  constructor(opts: ProviderClientOptions) {
    const { warn, ...rest } = opts
    this.#o = { timeoutMs: 30_000, longTimeoutMs: 15 * 60_000, acceptUnsigned: false, ...rest, baseUrl: opts.baseUrl.replace(/\/+$/, '') }
    let warned = false
    this.#unsigned = {
      accept: this.#o.acceptUnsigned,
      warn: (message) => {
        if (!warned) warn?.(message)
        warned = true
      },
    }
  }

  /** Creates a VM; resolves once the provider reports it running. */
  async create(body: CreateVmBody, opts: CallOptions = {}): Promise<ProviderVm> {
    const { ports, ...rest } = body
    const sent = ports === undefined || ports.length === 0 ? rest : { ...rest, ports }
    const json = await this.#call('POST', `${API_PREFIX}/vms`, JSON.stringify(sent), OPS.create, this.#o.longTimeoutMs, opts.signal)
    return this.#parse(ProviderVm, json, OPS.create)
  }

  /**
   * The VMs this provider lists for the renter: only the signer's on a
   * provider that checks signatures; every VM on an original one.
   */
  async list(): Promise<ProviderVmList> {
    const json = await this.#call('GET', `${API_PREFIX}/vms`, '', OPS.list)
    if (!Array.isArray(json)) throw this.#malformed(OPS.list, 'expected a list')
    const vms = json.flatMap((entry: unknown) => {
      const parsed = ProviderVm.safeParse(entry)
      return parsed.success ? [parsed.data] : []
    })
    return { vms, malformed: json.length - vms.length }
  }

  /** One VM. Throws VM_NOT_FOUND when it does not exist or is not the renter's. */
  async get(id: string): Promise<ProviderVm> {
    const vm = this.#parse(ProviderVm, await this.#call('GET', vmPath(id), '', OPS.get), OPS.get)
    if (isOriginalNotFound(vm, id))
      throw new RequestorError('VM_NOT_FOUND', `the provider at ${this.#o.baseUrl} has no VM "${id}" (it answered "VM ${id} not found")`)
    return vm
  }

  /** Where to SSH to the VM. */
  async access(id: string): Promise<ProviderAccess> {
    return this.#parse(ProviderAccess, await this.#call('GET', vmPath(id, '/access'), '', OPS.access), OPS.access)
  }

  /** Starts a stopped VM; resolves once it runs. Throws NOT_SUPPORTED on a provider without the route. */
  async start(id: string, opts: CallOptions = {}): Promise<ProviderVm> {
    return this.#parse(ProviderVm, await this.#call('POST', vmPath(id, '/start'), '', OPS.start, this.#o.longTimeoutMs, opts.signal), OPS.start)
  }

  /** Stops a running VM. Throws NOT_SUPPORTED on a provider without the route. */
  async stop(id: string, opts: CallOptions = {}): Promise<ProviderVm> {
    return this.#parse(ProviderVm, await this.#call('POST', vmPath(id, '/stop'), '', OPS.stop, this.#o.longTimeoutMs, opts.signal), OPS.stop)
  }

  /**
   * Deletes the VM and everything it held. An original provider answers
   * `null` whether or not it had the VM; this provider answers 404 when it did not.
   */
  async delete(id: string, opts: CallOptions = {}): Promise<void> {
    this.#parse(ProviderDeleted, await this.#call('DELETE', vmPath(id), '', OPS.delete, this.#o.longTimeoutMs, opts.signal), OPS.delete)
  }

  /** Maps more guest ports of the VM; resolves with the VM and all its mappings. Throws NOT_SUPPORTED on a provider without ports. */
  async addPorts(id: string, ports: readonly PortAsk[]): Promise<ProviderVm> {
    return this.#parse(ProviderVm, await this.#call('POST', vmPath(id, '/ports'), JSON.stringify({ ports }), OPS.addPorts), OPS.addPorts)
  }

  /** Removes the VM's mapping on `publicPort`; resolves with the VM and the mappings left. */
  async removePort(id: string, publicPort: number): Promise<ProviderVm> {
    return this.#parse(ProviderVm, await this.#call('DELETE', vmPath(id, `/ports/${publicPort}`), '', OPS.removePort), OPS.removePort)
  }

  /** The exact headers of a signed request (exposed for tests and for callers that send it themselves). */
  async signedHeaders(method: string, path: string, body: Buffer): Promise<Record<string, string>> {
    const signature = await signRequest(this.#o.signer, { audience: this.#o.providerId, method, path, body })
    const headers: Record<string, string> = {
      [SIGNATURE_HEADERS.requestor]: signature.signer,
      [SIGNATURE_HEADERS.signature]: signature.signature,
      [SIGNATURE_HEADERS.timestamp]: String(signature.timestamp),
      [SIGNATURE_HEADERS.nonce]: signature.nonce,
    }
    if (body.length > 0) headers['content-type'] = 'application/json'
    return headers
  }

  // Signs and sends one request; resolves with the JSON of a 2xx answer, throws a RequestorError otherwise.
  async #call(method: string, path: string, text: string, op: Operation, timeoutMs = this.#o.timeoutMs, signal?: AbortSignal): Promise<unknown> {
    const body = Buffer.from(text, 'utf8')
    const headers = await this.signedHeaders(method, path, body)
    let response: HttpResponse
    try {
      response = await httpRequest({
        method,
        baseUrl: this.#o.baseUrl,
        path,
        headers,
        ...(body.length > 0 ? { body } : {}),
        timeoutMs,
        maxResponseBytes: MAX_ANSWER_BYTES,
        signal,
      })
    } catch (error) {
      if (error instanceof TransportError) throw transportError(error, this.#o.baseUrl, op)
      throw error
    }
    checkAnswer({ ...this.#o, nonce: headers[SIGNATURE_HEADERS.nonce] ?? '', method, path }, response, op, this.#unsigned)
    const json = parseJson(response.body)
    if (response.status >= 200 && response.status < 300 && json !== undefined) return json
    throw errorFromResponse(response.status, json, response.body, this.#o.baseUrl, op)
  }

  #parse<O>(schema: z.ZodType<O>, json: unknown, op: Operation): O {
    const parsed = schema.safeParse(json)
    if (parsed.success) return parsed.data
    const issue = parsed.error.issues[0]
    const where = issue === undefined || issue.path.length === 0 ? '' : `${issue.path.join('.')}: `
    throw this.#malformed(op, `${where}${issue?.message ?? 'invalid'}`)
  }

  #malformed(op: Operation, problem: string): RequestorError {
    return new RequestorError(
      'BAD_RESPONSE',
      `the provider at ${this.#o.baseUrl} answered ${op.doing} with something golem-vm cannot use (${cleanText(problem)}); it may run an incompatible version`,
    )
  }
}
