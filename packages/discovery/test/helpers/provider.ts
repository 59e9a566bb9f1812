/**
 * A provider's side of the wire, for tests: builds and signs requests to the
 * discovery service exactly as an advertiser would, and sends them with fetch.
 *
 * @module
 */
import type { Signer } from 'ethers'
import { ADVERTISEMENTS_PATH, advertisementPath, signDiscoveryRequest } from '@golem-vm/protocol'

/** A prepared request that can be sent, and sent again (a replay). */
export interface PreparedRequest {
  readonly method: string
  readonly path: string
  readonly headers: Record<string, string>
  readonly body: string
}

/** What a test reads from a response. */
export interface Response {
  readonly status: number
  readonly headers: Headers
  readonly json: unknown
}

/** Signs a POST of `body` (serialised once; the signature covers exactly these bytes). `at` defaults to now. */
export async function signedPost(signer: Signer, body: unknown, at?: number): Promise<PreparedRequest> {
  const text = JSON.stringify(body)
  const headers = await signDiscoveryRequest(signer, { method: 'POST', path: ADVERTISEMENTS_PATH, body: text }, at)
  return { method: 'POST', path: ADVERTISEMENTS_PATH, headers, body: text }
}

/** Signs a DELETE of `providerId`'s advertisement. */
export async function signedDelete(signer: Signer, providerId: string): Promise<PreparedRequest> {
  const path = advertisementPath(providerId)
  return { method: 'DELETE', path, headers: await signDiscoveryRequest(signer, { method: 'DELETE', path, body: '' }), body: '' }
}

/** Sends a prepared request to the service at `baseUrl`. */
export async function send(baseUrl: string, req: PreparedRequest): Promise<Response> {
  const res = await fetch(`${baseUrl}${req.path}`, {
    method: req.method,
    headers: req.headers,
    ...(req.body === '' ? {} : { body: req.body }),
    signal: AbortSignal.timeout(10_000),
  })
  return { status: res.status, headers: res.headers, json: await res.json() }
}

/** GETs `path` from the service. */
export async function get(baseUrl: string, path: string): Promise<Response> {
  const res = await fetch(`${baseUrl}${path}`, { signal: AbortSignal.timeout(10_000) })
  return { status: res.status, headers: res.headers, json: await res.json() }
}

/** The `detail.code` of an error body. */
export const codeOf = (json: unknown): string => (json as { detail: { code: string } }).detail.code
