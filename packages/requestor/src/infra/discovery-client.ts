/**
 * The renter's read-only client of the discovery service: lists fresh
 * advertisements (with the original's query parameters) and fetches one
 * provider's advertisement. Elements that do not match the advertisement
 * schema are dropped and counted, never shown.
 *
 * @module
 */
import { ADVERTISEMENTS_PATH, AdvertisementFromAnyServer, advertisementPath } from '@golem-vm/protocol'
import type { AdvertisementFilter, AdvertisementListing, Discovery } from '../app/ports/discovery.js'
import { RequestorError } from '../domain/errors.js'
import { parseJsonOrUndefined as parseJson } from '@golem-vm/common'
import { httpRequest, TransportError, type HttpResponse } from '@golem-vm/common/http-request'

// The port's types, for callers of this adapter.
export type { AdvertisementFilter, AdvertisementListing }

/** Advertisements asked for per page (the service caps pages at MAX_PAGE_SIZE; the original ignores `limit`). */
const PAGE_SIZE = 200
/** Most pages one listing reads: 10,000 advertisements, each page well under the answer size cap. */
const MAX_PAGES = 50

// The path of the next page from a `Link: <path>; rel="next"` header; only a path of the listing on the same service.
export function nextPagePath(link: string | string[] | undefined): string | undefined {
  const text = Array.isArray(link) ? link.join(', ') : link
  const match = text === undefined ? null : /<([^>]*)>\s*;\s*rel="?next"?/.exec(text)
  const path = match?.[1]
  return path !== undefined && path.startsWith(`${ADVERTISEMENTS_PATH}?`) ? path : undefined
}

/** Where the discovery service is and how long to wait for it. */
export interface DiscoveryClientOptions {
  readonly baseUrl: string
  /** Per request. Default 15 s. */
  readonly timeoutMs?: number
}

/** The query string of a listing, parameters in the original's order (cpu, memory, storage, country). */
export function listingPath(filter: AdvertisementFilter): string {
  const params = new URLSearchParams()
  for (const key of ['cpu', 'memory', 'storage', 'country', 'isolated'] as const) {
    const value = filter[key]
    if (value !== undefined) params.set(key, String(value))
  }
  const query = params.toString()
  return query === '' ? ADVERTISEMENTS_PATH : `${ADVERTISEMENTS_PATH}?${query}`
}

const withPageSize = (path: string): string => `${path}${path.includes('?') ? '&' : '?'}limit=${PAGE_SIZE}`

// The service's `{code, message}` (or the original's `{detail: {code, message}}`), for error texts.
function serviceError(json: unknown): string {
  const outer = (typeof json === 'object' && json !== null ? json : {}) as { code?: unknown; message?: unknown; detail?: unknown }
  const inner = (typeof outer.detail === 'object' && outer.detail !== null ? outer.detail : {}) as { code?: unknown; message?: unknown }
  const code = typeof outer.code === 'string' ? outer.code : inner.code
  const message = typeof outer.message === 'string' ? outer.message : inner.message
  return [code, message]
    .filter((v) => typeof v === 'string')
    .join(': ')
    .slice(0, 300)
}

/** Reads advertisements from one discovery service. */
export class DiscoveryClient implements Discovery {
  readonly #base: string
  readonly #timeoutMs: number

  constructor(opts: DiscoveryClientOptions) {
    this.#base = opts.baseUrl.replace(/\/+$/, '')
    this.#timeoutMs = opts.timeoutMs ?? 15_000
  }

  /**
   * Fresh advertisements matching every filter, page by page (following the
   * service's `Link: rel="next"`) up to {@link MAX_PAGES} pages.
   * Throws DISCOVERY_UNREACHABLE / DISCOVERY_FAILED / INVALID_ARGUMENT.
   */
  async list(filter: AdvertisementFilter = {}): Promise<AdvertisementListing> {
    const advertisements: AdvertisementFromAnyServer[] = []
    let malformed = 0
    let path: string | undefined = withPageSize(listingPath(filter))
    for (let pages = 0; path !== undefined && pages < MAX_PAGES; pages++) {
      const response = await this.#get(path)
      const json = this.#expectOk(response)
      if (!Array.isArray(json))
        throw new RequestorError(
          'DISCOVERY_FAILED',
          `the discovery service at ${this.#base} answered the listing with something other than a list; check GOLEM_REQUESTOR_DISCOVERY_URL`,
        )
      for (const element of json as unknown[]) {
        const parsed = AdvertisementFromAnyServer.safeParse(element)
        if (parsed.success) advertisements.push(parsed.data)
        else malformed++
      }
      path = nextPagePath(response.headers.link)
    }
    return { advertisements, malformed, truncated: path !== undefined }
  }

  /** One provider's fresh advertisement, or undefined when it has none. */
  async get(providerId: string): Promise<AdvertisementFromAnyServer | undefined> {
    const response = await this.#get(advertisementPath(providerId))
    if (response.status === 404) return undefined
    const parsed = AdvertisementFromAnyServer.safeParse(this.#expectOk(response))
    if (!parsed.success)
      throw new RequestorError('DISCOVERY_FAILED', `the discovery service at ${this.#base} answered with a malformed advertisement for ${providerId}`)
    return parsed.data
  }

  async #get(path: string): Promise<HttpResponse> {
    try {
      return await httpRequest({ method: 'GET', baseUrl: this.#base, path, timeoutMs: this.#timeoutMs })
    } catch (error) {
      if (!(error instanceof TransportError)) throw error
      throw new RequestorError(
        'DISCOVERY_UNREACHABLE',
        `the discovery service at ${this.#base} did not answer (${error.reason}); check your connection and GOLEM_REQUESTOR_DISCOVERY_URL (or --discovery-url), then try again`,
      )
    }
  }

  #expectOk(response: HttpResponse): unknown {
    const json = parseJson(response.body)
    if (response.status >= 200 && response.status < 300 && json !== undefined) return json
    const detail = serviceError(json)
    if (response.status === 400 || response.status === 422) {
      throw new RequestorError(
        'INVALID_ARGUMENT',
        `the discovery service refused the filter${detail === '' ? '' : ` (${detail})`}; use whole numbers of at least 1 and a two-letter country code`,
      )
    }
    if (response.status === 429 || response.status >= 500) {
      throw new RequestorError(
        'DISCOVERY_UNREACHABLE',
        `the discovery service at ${this.#base} is unavailable (HTTP ${response.status}${detail === '' ? '' : `, ${detail}`}); try again in a minute`,
      )
    }
    throw new RequestorError(
      'DISCOVERY_FAILED',
      `the discovery service at ${this.#base} answered HTTP ${response.status}${detail === '' ? '' : ` (${detail})`}; check GOLEM_REQUESTOR_DISCOVERY_URL`,
    )
  }
}
