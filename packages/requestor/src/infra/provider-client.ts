/**
 * The renter's client of one provider's API. Every request is signed with
 * the renter's identity for the provider's address (the audience) over the
 * method, the path with query exactly as sent and the exact body bytes; the
 * four `X-Golem-*` headers carry the signature. Answers are checked against
 * the protocol schemas; errors become {@link RequestorError}s whose message
 * says what to do (see `provider-errors.ts`).
 *
 * @module
 */
import { API_PREFIX, SIGNATURE_HEADERS, VmAccessInfo, VmInfo, signRequest, type VmResources } from '@golem-vm/protocol'
import type { Signer } from 'ethers'
import { z } from 'zod'
import { RequestorError } from '../domain/errors.js'
import { httpRequest, parseJson, TransportError, type HttpResponse } from './http.js'
import { errorFromResponse, transportError } from './provider-errors.js'

/** What the renter sends to create a VM. */
export interface CreateVmBody {
  readonly name: string
  readonly ssh_key: string
  readonly resources: VmResources
  readonly image?: string | undefined
}

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
}

/** Per-call options of the long operations. */
export interface CallOptions {
  readonly signal?: AbortSignal | undefined
}

const Deleted = z.object({ vm_id: z.string(), status: z.literal('deleted') }).loose()

const vmPath = (id: string, suffix = ''): string => `${API_PREFIX}/vms/${encodeURIComponent(id)}${suffix}`

/** Talks to one provider on behalf of one renter. */
export class ProviderClient {
  readonly #o: Required<Omit<ProviderClientOptions, 'signer'>> & { signer: Signer }

  constructor(opts: ProviderClientOptions) {
    this.#o = { timeoutMs: 30_000, longTimeoutMs: 15 * 60_000, ...opts, baseUrl: opts.baseUrl.replace(/\/+$/, '') }
  }

  /** Creates a VM; resolves once the provider reports it running. */
  async create(body: CreateVmBody, opts: CallOptions = {}): Promise<VmInfo> {
    const json = await this.#call('POST', `${API_PREFIX}/vms`, JSON.stringify(body), this.#o.longTimeoutMs, opts.signal)
    return this.#parse(VmInfo, json, 'the created VM')
  }

  /** The renter's VMs on this provider (the provider lists only the signer's). */
  async list(): Promise<VmInfo[]> {
    return this.#parse(z.array(VmInfo), await this.#call('GET', `${API_PREFIX}/vms`, ''), 'the VM list')
  }

  /** One VM. Throws VM_NOT_FOUND when it does not exist or is not the renter's. */
  async get(id: string): Promise<VmInfo> {
    return this.#parse(VmInfo, await this.#call('GET', vmPath(id), ''), 'the VM')
  }

  /** Where to SSH to the VM. */
  async access(id: string): Promise<VmAccessInfo> {
    return this.#parse(VmAccessInfo, await this.#call('GET', vmPath(id, '/access'), ''), 'the access info')
  }

  /** Starts a stopped VM; resolves once it runs. */
  async start(id: string, opts: CallOptions = {}): Promise<VmInfo> {
    return this.#parse(VmInfo, await this.#call('POST', vmPath(id, '/start'), '', this.#o.longTimeoutMs, opts.signal), 'the started VM')
  }

  /** Stops a running VM. */
  async stop(id: string, opts: CallOptions = {}): Promise<VmInfo> {
    return this.#parse(VmInfo, await this.#call('POST', vmPath(id, '/stop'), '', this.#o.longTimeoutMs, opts.signal), 'the stopped VM')
  }

  /** Deletes the VM and everything it held. */
  async delete(id: string, opts: CallOptions = {}): Promise<void> {
    this.#parse(Deleted, await this.#call('DELETE', vmPath(id), '', this.#o.longTimeoutMs, opts.signal), 'the deletion')
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
  async #call(method: string, path: string, text: string, timeoutMs = this.#o.timeoutMs, signal?: AbortSignal): Promise<unknown> {
    const body = Buffer.from(text, 'utf8')
    const headers = await this.signedHeaders(method, path, body)
    let response: HttpResponse
    try {
      response = await httpRequest({ method, baseUrl: this.#o.baseUrl, path, headers, ...(body.length > 0 ? { body } : {}), timeoutMs, signal })
    } catch (error) {
      if (error instanceof TransportError) throw transportError(error, this.#o.baseUrl)
      throw error
    }
    const json = parseJson(response.body)
    if (response.status >= 200 && response.status < 300 && json !== undefined) return json
    throw errorFromResponse(response.status, json, this.#o.baseUrl)
  }

  #parse<T>(schema: z.ZodType<T>, json: unknown, what: string): T {
    const parsed = schema.safeParse(json)
    if (parsed.success) return parsed.data
    const issue = parsed.error.issues[0]
    throw new RequestorError('BAD_RESPONSE', `the provider at ${this.#o.baseUrl} answered with malformed ${what} (${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}); it may run an incompatible version`)
  }
}
