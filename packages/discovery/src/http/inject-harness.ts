/**
 * For tests: the real server over an in-memory SQLite store with a clock the
 * test moves, plus helpers that sign requests the way a provider does.
 *
 * @module
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import type { Signer } from 'ethers'
import pino from 'pino'
import { ADVERTISEMENTS_PATH, NonceCache, advertisementPath, signDiscoveryRequest } from '@golem-vm/protocol'
import { AdvertisementService } from '../app/advertisement-service.js'
import type { AddressPolicy } from '../domain/address-policy.js'
import { SqliteAdvertisementStore } from '../infra/sqlite-store.js'
import { buildServer } from './server.js'

/** Settings a test may change; the rest are the defaults of the service. */
export interface HarnessOptions {
  readonly allowUnsigned?: boolean
  readonly rateLimitPerMinute?: number
  readonly expiryMs?: number
  readonly start?: number
  /** Default: development rules (any address, no per-address limit), as the tests post from 127.0.0.1. */
  readonly address?: AddressPolicy
  readonly maxProvidersPerAddress?: number
}

/** A server under test, its clock, and signed-request helpers. */
export interface Harness {
  readonly app: FastifyInstance
  now(): number
  advance(ms: number): void
  /** POSTs `body` (an object is serialised once; a string is sent as is) signed by `signer` at the harness time. */
  post(signer: Signer, body: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>
  /** DELETEs `providerId`'s advertisement, signed by `signer`. */
  remove(signer: Signer, providerId: string): Promise<LightMyRequestResponse>
  close(): Promise<void>
}

/** Builds a harness; call `close` (e.g. in `t.after`). */
export async function createHarness(options: HarnessOptions = {}): Promise<Harness> {
  let clock = options.start ?? Date.parse('2026-11-24T10:00:00.000Z')
  const now = (): number => clock
  const maxProvidersPerAddress = options.maxProvidersPerAddress ?? 0
  const store = new SqliteAdvertisementStore(':memory:', { expiryMs: options.expiryMs ?? 300_000, maxProvidersPerAddress, signerRetentionMs: 86_400_000 })
  const app = await buildServer({
    service: new AdvertisementService(store, { address: options.address ?? { check: 'off', allowPrivate: true }, maxProvidersPerAddress }, now),
    auth: { allowUnsigned: options.allowUnsigned ?? false, maxSkewMs: 120_000, nonces: new NonceCache(240_000), now },
    logger: pino({ level: 'silent' }),
    rateLimitPerMinute: options.rateLimitPerMinute ?? 0,
    trustProxy: false,
    version: 'test',
    connections: { requestTimeoutMs: 10_000, maxPerAddress: 0 },
  })
  return {
    app,
    now,
    advance: (ms) => {
      clock += ms
    },
    async post(signer, body, headers = {}) {
      const payload = typeof body === 'string' ? body : JSON.stringify(body)
      const signed = await signDiscoveryRequest(signer, { method: 'POST', path: ADVERTISEMENTS_PATH, body: payload }, clock)
      return app.inject({ method: 'POST', url: ADVERTISEMENTS_PATH, headers: { ...signed, ...headers }, payload })
    },
    async remove(signer, providerId) {
      const path = advertisementPath(providerId)
      const signed = await signDiscoveryRequest(signer, { method: 'DELETE', path, body: '' }, clock)
      return app.inject({ method: 'DELETE', url: path, headers: signed })
    },
    async close() {
      await app.close()
      await store.close()
    },
  }
}
