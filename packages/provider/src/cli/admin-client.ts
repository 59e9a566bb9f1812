/**
 * The operator's side of the provider CLI: reads the running provider's
 * status, and lists and manages every VM through its API with the admin
 * token from the data dir. Requests go through `@golem-vm/common/http-request`
 * (node:http, one deadline for the whole exchange): an operator's start of a
 * VM may take the whole create timeout, longer than the 300 s after which
 * fetch's own header and body timeouts would give up.
 *
 * @module
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseJsonOrUndefined } from '@golem-vm/common'
import { httpRequest, TransportError } from '@golem-vm/common/http-request'
import { VmInfo } from '@golem-vm/protocol'
import type { Config } from '../config.js'
import { ADMIN_TOKEN_FILE } from '../infra/admin/admin-token.js'

/** Longest an admin request may take: a start waits for a whole boot. */
export const ADMIN_TIMEOUT_MS = 15 * 60_000

/** A CLI failure the operator can act on: a stable code and a message that says what to do. */
export class CliError extends Error {
  override readonly name = 'CliError'
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

/** The local API address of the provider described by `config` (a wildcard bind is reached on loopback). */
export function localBaseUrl(config: Config): string {
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.port}`
}

/** An answer of the provider API: its status and JSON body. */
export interface ApiAnswer {
  readonly status: number
  readonly body: unknown
}

/** Sends one request to the provider API at `baseUrl`; rejects with a CliError when no JSON answer comes. */
export async function apiRequest(baseUrl: string, method: string, path: string, opts: { token?: string; timeoutMs: number }): Promise<ApiAnswer> {
  let response
  try {
    const headers: Record<string, string> = opts.token === undefined ? {} : { authorization: `Bearer ${opts.token}` }
    response = await httpRequest({ method, baseUrl, path: `/api/v1${path}`, headers, timeoutMs: opts.timeoutMs })
  } catch (error) {
    if (!(error instanceof TransportError)) throw error
    if (error.kind === 'timeout')
      throw new CliError('PROVIDER_TIMEOUT', `the provider at ${baseUrl} did not answer ${method} ${path} in time (${error.reason})`)
    throw new CliError('PROVIDER_UNREACHABLE', `no provider answers at ${baseUrl} (${error.reason}); is it running?`)
  }
  const body = parseJsonOrUndefined(response.body)
  if (body === undefined) throw new CliError('BAD_RESPONSE', `${baseUrl} answered ${method} ${path} with ${response.status} and no JSON; is it a provider?`)
  return { status: response.status, body }
}

/** The API's error answer as a CliError with the API's own code. */
export function answerError(answer: ApiAnswer): CliError {
  const body = answer.body as { code?: unknown; message?: unknown }
  const code = typeof body.code === 'string' ? body.code : `HTTP_${answer.status}`
  return new CliError(code, typeof body.message === 'string' ? body.message : JSON.stringify(answer.body))
}

export class AdminClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly timeoutMs = ADMIN_TIMEOUT_MS,
  ) {}

  /** Reads the token the provider created at its first start. */
  static async fromConfig(config: Config, baseUrl = localBaseUrl(config)): Promise<AdminClient> {
    const path = join(config.dataDir, ADMIN_TOKEN_FILE)
    const token = await readFile(path, 'utf8').catch(() => {
      throw new CliError('NO_ADMIN_TOKEN', `no admin token at ${path}: start the provider once with this GOLEM_PROVIDER_DATA_DIR`)
    })
    return new AdminClient(baseUrl, token.trim())
  }

  /** One request as the operator; any status is an answer. */
  request(method: 'GET' | 'POST' | 'DELETE', path: string): Promise<ApiAnswer> {
    return apiRequest(this.baseUrl, method, path, { token: this.token, timeoutMs: this.timeoutMs })
  }

  /** Every VM of every renter. */
  async list(): Promise<VmInfo[]> {
    const answer = await this.request('GET', '/vms')
    if (answer.status !== 200) throw answerError(answer)
    const parsed = VmInfo.array().safeParse(answer.body)
    if (!parsed.success) throw new CliError('BAD_RESPONSE', `${this.baseUrl} answered the VM list with something other than a list of VMs`)
    return parsed.data
  }
}
