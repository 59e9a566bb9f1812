/**
 * The operator's side of the provider CLI: lists and manages every VM of the
 * running provider through its API, with the admin token from the data dir.
 *
 * @module
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { VmInfo } from '@golem-vm/protocol'
import type { Config } from '../config.js'
import { ADMIN_TOKEN_FILE } from '../infra/admin/admin-token.js'

/** The local API address of the provider described by `config` (a wildcard bind is reached on loopback). */
export function localBaseUrl(config: Config): string {
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.port}`
}

export class AdminClient {
  constructor(private readonly baseUrl: string, private readonly token: string) {}

  /** Reads the token the provider created at its first start. */
  static async fromConfig(config: Config, baseUrl = localBaseUrl(config)): Promise<AdminClient> {
    const path = join(config.dataDir, ADMIN_TOKEN_FILE)
    const token = (await readFile(path, 'utf8').catch(() => {
      throw new Error(`no admin token at ${path}: start the provider once with this GOLEM_PROVIDER_DATA_DIR`)
    })).trim()
    return new AdminClient(baseUrl, token)
  }

  async request(method: 'GET' | 'POST' | 'DELETE', path: string): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${this.baseUrl}/api/v1${path}`, {
      method, headers: { authorization: `Bearer ${this.token}` }, signal: AbortSignal.timeout(15 * 60_000),
    }).catch((error: unknown) => {
      throw new Error(`no provider answers at ${this.baseUrl} (${(error as Error).message}); is it running?`)
    })
    return { status: response.status, body: await response.json() }
  }

  async list(): Promise<VmInfo[]> {
    const { status, body } = await this.request('GET', '/vms')
    if (status !== 200) throw new Error(describe(body))
    return VmInfo.array().parse(body)
  }
}

/** The message of an error body, or the body itself. */
export function describe(body: unknown): string {
  if (typeof body === 'object' && body !== null && 'message' in body) return String(body.message)
  return JSON.stringify(body)
}
