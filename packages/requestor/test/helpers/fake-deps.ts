/**
 * Use-case dependencies for unit tests: the real store, identity and SSH key
 * in a temporary data dir, with a scripted discovery service and provider.
 *
 * @module
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import type { AdvertisementFromAnyServer } from '@golem-vm/protocol'
import { withProof } from './signed-advertisement.js'
import { Wallet } from 'ethers'
import type { ProviderTarget, RequestorDeps } from '../../src/app/deps.js'
import { compose } from '../../src/compose.js'
import type { RequestorConfig } from '../../src/config.js'
import type { ProviderAccess, ProviderVm } from '../../src/domain/provider-answers.js'

const PROVIDER_KEY = Wallet.createRandom().privateKey
/** The fake provider's id. */
export const PROVIDER = new Wallet(PROVIDER_KEY).address

/**
 * An advertisement of {@link PROVIDER} (4 CPU / 8 GB / 100 GB) with `extra`
 * applied, carrying the provider's signed proof unless `extra.signed` is false.
 */
export const advertisement = (extra: Partial<AdvertisementFromAnyServer> = {}): AdvertisementFromAnyServer => {
  const ad: AdvertisementFromAnyServer = {
    provider_id: PROVIDER,
    ip_address: '127.0.0.1',
    country: 'SE',
    resources: { cpu: 4, memory: 8, storage: 100 },
    created_at: 'c',
    updated_at: 'u',
    provider_name: 'test-provider',
    signed: true,
    api_port: 7777,
    ...extra,
  }
  return ad.signed === false ? ad : withProof(ad, PROVIDER_KEY)
}

/** A VM as a provider reports it. */
export const vmInfo = (name: string, extra: Partial<ProviderVm> = {}): ProviderVm => ({
  id: name,
  name,
  status: 'running',
  resources: { cpu: 1, memory: 1, storage: 10 },
  ip_address: '10.0.0.2',
  ssh_port: 50800,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
  error_message: null,
  image: '24.04',
  ports: [],
  payment: null,
  ...extra,
})

/** Access info as a provider reports it. */
export const accessInfo = (name: string): ProviderAccess => ({ ssh_host: '127.0.0.1', ssh_port: 50800, ssh_user: 'ubuntu', vm_id: name, ssh_host_keys: [] })

type Provider = ReturnType<RequestorDeps['provider']>

/** The scripted parts; tests replace methods to inject answers. */
export interface Fakes {
  ads: AdvertisementFromAnyServer[]
  provider: Provider
  /** Every provider client made: its target and signer address. */
  clients: { target: ProviderTarget; signer: string }[]
}

/**
 * Deps on a fresh temp data dir, with fakes for discovery and the provider;
 * in development mode (the fakes are at 127.0.0.1) unless `config` says otherwise.
 */
export function fakeDeps(t: TestContext, config: Partial<RequestorConfig> = {}): { deps: RequestorDeps; fakes: Fakes; dataDir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'golem-vm-app-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const dataDir = join(dir, 'data')
  const real = compose({
    dataDir,
    discoveryUrl: 'http://discovery.invalid',
    createTimeoutMs: 60_000,
    environment: 'development',
    allowPrivateAddresses: true,
    paymentRpcUrl: null,
    ...config,
  })
  const fakes: Fakes = {
    ads: [advertisement()],
    clients: [],
    provider: {
      create: async (body) => vmInfo(body.name, { resources: body.resources }),
      list: async () => ({ vms: [], malformed: 0 }),
      get: async (id) => vmInfo(id),
      access: async (id) => accessInfo(id),
      start: async (id) => vmInfo(id),
      stop: async (id) => vmInfo(id, { status: 'stopped' }),
      delete: async () => undefined,
      addPorts: async (id, ports) => vmInfo(id, { ports: ports.map((p, i) => ({ ...p, public_port: 50801 + i, host: '127.0.0.1' })) }),
      removePort: async (id) => vmInfo(id),
    },
  }
  const deps: RequestorDeps = {
    ...real,
    discovery: {
      list: async () => ({ advertisements: fakes.ads, malformed: 0, truncated: false }),
      get: async (id) => fakes.ads.find((a) => a.provider_id.toLowerCase() === id.toLowerCase()),
    },
    provider: (target, signer) => {
      void signer.getAddress().then((address) => fakes.clients.push({ target, signer: address }))
      return fakes.provider
    },
  }
  return { deps, fakes, dataDir }
}
