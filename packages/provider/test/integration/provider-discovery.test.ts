/**
 * The real provider daemon advertising to the real discovery service: the
 * advertisement appears at start, follows creates and deletes within
 * seconds, survives a discovery restart, and is removed on a graceful stop;
 * when the public address changes, the advertisement and `/access` follow it.
 */
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { api, fakeMultipassEnv, startDaemon, tempDir } from '../helpers/daemon.js'
import { ed25519Key } from '../helpers/keys.js'
import { startDiscovery, type Service } from '../helpers/services.js'

// Room for a few small VMs, whatever the host.
const OFFER = { GOLEM_PROVIDER_OFFER_CPU_CORES: '4', GOLEM_PROVIDER_OFFER_MEMORY_GB: '8', GOLEM_PROVIDER_OFFER_STORAGE_GB: '60' }

interface Ad {
  provider_id: string
  resources: { cpu: number; memory: number; storage: number }
  ip_address: string
  api_port?: number
  isolated?: boolean
}

// Polls the discovery service (every 100 ms, at most `timeoutMs`) until `check` holds for the provider's ad.
async function eventually(discovery: Service, id: string, check: (ad: Ad | undefined) => boolean, timeoutMs = 10_000): Promise<Ad | undefined> {
  let last: Ad | undefined
  for (let waited = 0; waited <= timeoutMs; waited += 100) {
    const res = await fetch(`${discovery.url}/api/v1/advertisements/${id}`).catch(() => undefined)
    last = res?.status === 200 ? ((await res.json()) as Ad) : undefined
    if (check(last)) return last
    await sleep(100)
  }
  assert.fail(`the advertisement did not reach the expected state in ${timeoutMs} ms; last: ${JSON.stringify(last)}`)
}

test('the advertisement follows the ledger, survives a discovery restart and is removed at shutdown', async (t) => {
  const dir = tempDir(t)
  let discovery = await startDiscovery(t, join(dir, 'discovery'))
  const daemon = await startDaemon(t, {
    env: { ...(await fakeMultipassEnv(t, dir, 3)), ...OFFER, GOLEM_PROVIDER_DISCOVERY_URL: discovery.url },
  })
  const id = (await api<{ provider_id: string }>(daemon.baseUrl, 'GET', '/api/v1/provider/status')).body.provider_id
  const first = await eventually(discovery, id, (ad) => ad !== undefined)
  assert.ok(first)
  // Besides the offer: how many ports one VM can map now (the free ports but its SSH port) and UDP (1: offered).
  assert.deepEqual(first.resources, { cpu: 4, memory: 8, storage: 60, ports_per_vm: 2, udp: 1 })
  assert.equal(first.ip_address, '127.0.0.1')
  assert.equal(first.api_port, Number(new URL(daemon.baseUrl).port))
  assert.equal(first.isolated, false, 'the advertisement says that these (Multipass) VMs are not isolated')

  const created = await api(daemon.baseUrl, 'POST', '/api/v1/vms', { name: 'ad-vm', ssh_key: ed25519Key(), resources: { cpu: 2, memory: 2, storage: 20 } })
  assert.equal(created.status, 201)
  await eventually(discovery, id, (ad) => ad?.resources.cpu === 2 && ad.resources.memory === 6 && ad.resources.storage === 40)

  await discovery.stop()
  discovery = await startDiscovery(t, join(dir, 'discovery'), discovery.port)
  assert.equal((await api(daemon.baseUrl, 'DELETE', '/api/v1/vms/ad-vm')).status, 200)
  await eventually(discovery, id, (ad) => ad?.resources.cpu === 4, 20_000)

  assert.equal(await daemon.stop(), 0)
  await eventually(discovery, id, (ad) => ad === undefined, 5000)
})

// An address service on 127.0.0.1 that answers whatever the test sets.
async function fakeAddressService(t: TestContext): Promise<{ url: string; answer: { value: string }; asked: () => number }> {
  const answer = { value: '198.51.100.7' }
  let asked = 0
  const server = createServer((_req, res) => {
    asked++
    res.end(`${answer.value}\n`)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ip`, answer, asked: () => asked }
}

test('a changed public address: /access and the advertisement both follow it', async (t) => {
  const dir = tempDir(t)
  const discovery = await startDiscovery(t, join(dir, 'discovery'))
  const addresses = await fakeAddressService(t)
  const daemon = await startDaemon(t, {
    env: {
      ...(await fakeMultipassEnv(t, dir, 2)),
      ...OFFER,
      GOLEM_PROVIDER_DISCOVERY_URL: discovery.url,
      GOLEM_PROVIDER_PUBLIC_IP: 'auto',
      GOLEM_PROVIDER_PUBLIC_IP_SERVICES: addresses.url,
      GOLEM_PROVIDER_PUBLIC_IP_CHECK_INTERVAL: '1',
    },
  })
  const id = (await api<{ provider_id: string }>(daemon.baseUrl, 'GET', '/api/v1/provider/status')).body.provider_id
  assert.equal((await api(daemon.baseUrl, 'POST', '/api/v1/vms', { name: 'moving-vm', ssh_key: ed25519Key() })).status, 201)
  const access = async () => (await api<{ ssh_host: string }>(daemon.baseUrl, 'GET', '/api/v1/vms/moving-vm/access')).body.ssh_host
  assert.equal(await access(), '198.51.100.7')
  await eventually(discovery, id, (ad) => ad?.ip_address === '198.51.100.7')

  addresses.answer.value = '203.0.113.42'
  await eventually(discovery, id, (ad) => ad?.ip_address === '203.0.113.42')
  assert.equal(await access(), '203.0.113.42', '/access gives the address the advertisement carries')
  assert.ok(daemon.logs.some((l) => l.msg === 'the public address changed' && l.to === '203.0.113.42'))
})
