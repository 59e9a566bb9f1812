/**
 * The advertiser against the real discovery service (`golem-discovery` as a
 * child process on 127.0.0.1): the signed advertisement appears under the
 * provider id recovered from its signature, changes show within a second,
 * withdrawal and shutdown remove it, and a discovery restart mid-run is
 * recovered from without help.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import pino from 'pino'
import { advertisementPath, type Advertisement } from '@golem-vm/protocol'
import { Advertiser } from '../../src/app/advertiser.js'
import type { ResourceAmounts } from '../../src/domain/capacity.js'
import { DiscoveryClient } from '../../src/infra/discovery/discovery-client.js'
import { BackgroundSigner } from '../../src/infra/identity/background-signer.js'
import { loadOrCreateIdentity, type ProviderIdentity } from '../../src/infra/identity/eth-identity.js'
import { startDiscovery, type Service } from '../helpers/services.js'

const MINIMUMS = { cpu: 1, memory: 1, storage: 10 }

type Discovery = Service

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'golem-advertiser-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

async function fetchAd(discovery: Discovery, providerId: string): Promise<Advertisement | undefined> {
  const response = await fetch(`${discovery.url}${advertisementPath(providerId)}`, { signal: AbortSignal.timeout(2000) })
  if (response.status === 404) return undefined
  assert.equal(response.status, 200)
  return (await response.json()) as Advertisement
}

// Polls every 50 ms until `check` holds for the advertisement (or its absence); bounded by `timeoutMs`.
async function eventually(
  discovery: Discovery,
  providerId: string,
  check: (ad: Advertisement | undefined) => boolean,
  timeoutMs = 5000,
): Promise<Advertisement | undefined> {
  let last: Advertisement | undefined
  for (let waited = 0; waited <= timeoutMs; waited += 50) {
    last = await fetchAd(discovery, providerId).catch(() => last)
    if (check(last)) return last
    await sleep(50)
  }
  assert.fail(`the advertisement did not reach the expected state within ${timeoutMs} ms; last seen: ${JSON.stringify(last)}`)
}

interface Provider {
  readonly identity: ProviderIdentity
  readonly advertiser: Advertiser
  readonly logs: { level: number; msg: string }[]
  free: ResourceAmounts
}

async function provider(t: TestContext, discoveryUrl: string): Promise<Provider> {
  const identity = await loadOrCreateIdentity({ keyDir: join(await tempDir(t), 'keys') })
  const logs: { level: number; msg: string }[] = []
  const state = { free: { cpu: 4, memory: 8, storage: 100 } }
  const advertiser = new Advertiser({
    publisher: new DiscoveryClient({ baseUrl: discoveryUrl, signer: new BackgroundSigner(identity.key), timeoutMs: 1000 }),
    providerId: identity.address,
    facts: () => ({ ip_address: '127.0.0.1', country: 'SE', provider_name: 'integration', version: '0.2.0', arch: 'x86_64', api_port: 7466 }),
    freeCapacity: () => state.free,
    vmsThatFit: () => Math.min(...(['cpu', 'memory', 'storage'] as const).map((k) => Math.floor(state.free[k] / MINIMUMS[k]))),
    freeSshPorts: () => 5,
    minimums: MINIMUMS,
    intervalMs: 60_000,
    logger: pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line) as { level: number; msg: string }) }),
    tuning: { retryInitialMs: 100, retryMaxMs: 400 },
  })
  t.after(() => advertiser.stop())
  return Object.assign(state, { identity, advertiser, logs })
}

test('the signed advertisement appears, follows capacity within a second, is withdrawn and deleted at stop', async (t) => {
  const discovery = await startDiscovery(t, await tempDir(t))
  const p = await provider(t, discovery.url)
  p.advertiser.start()
  const ad = await eventually(discovery, p.identity.address, (a) => a !== undefined)
  assert.equal(ad?.provider_id, p.identity.address, "the id recovered from the signature is the key's address")
  assert.equal(ad.signed, true)
  assert.deepEqual(ad.resources, { cpu: 4, memory: 8, storage: 100 })
  assert.deepEqual([ad.provider_name, ad.version, ad.arch, ad.api_port, ad.ssh_ports_free], ['integration', '0.2.0', 'x86_64', 7466, 5])

  p.free = { cpu: 2, memory: 4, storage: 60 }
  const changedAt = Date.now()
  p.advertiser.notify()
  await eventually(discovery, p.identity.address, (a) => a?.resources.memory === 4, 3000)
  const elapsed = Date.now() - changedAt
  assert.ok(elapsed < 1000, `the change took ${elapsed} ms to show`)

  p.free = { cpu: 2, memory: 4, storage: 5 }
  p.advertiser.notify()
  await eventually(discovery, p.identity.address, (a) => a === undefined, 3000)
  p.free = { cpu: 2, memory: 4, storage: 40 }
  p.advertiser.notify()
  await eventually(discovery, p.identity.address, (a) => a?.resources.storage === 40, 3000)

  await p.advertiser.stop()
  assert.equal(await fetchAd(discovery, p.identity.address), undefined, 'stop removed the advertisement')
})

test('discovery stopped and restarted mid-run: the advertiser recovers by itself, logging once each way', async (t) => {
  const dataDir = await tempDir(t)
  const first = await startDiscovery(t, dataDir)
  const p = await provider(t, first.url)
  p.advertiser.start()
  await eventually(first, p.identity.address, (a) => a !== undefined)

  await first.stop()
  p.free = { cpu: 3, memory: 6, storage: 70 }
  p.advertiser.notify()
  for (let i = 0; i < 100 && !p.logs.some((l) => /unreachable/.test(l.msg)); i++) await sleep(50)
  await sleep(1000) // several failed retries while the service is down
  const second = await startDiscovery(t, dataDir, first.port)
  await eventually(second, p.identity.address, (a) => a?.resources.memory === 6, 5000)

  assert.equal(p.logs.filter((l) => /unreachable/.test(l.msg)).length, 1, 'one log line for the outage')
  assert.equal(p.logs.filter((l) => /reachable again/.test(l.msg)).length, 1, 'one log line for the recovery')
  await p.advertiser.stop()
  assert.equal(await fetchAd(second, p.identity.address), undefined)
})
