import { strict as assert } from 'node:assert'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'node:test'
import { Wallet } from 'ethers'
import { ADVERTISEMENTS_PATH, Advertisement } from '@golem-vm/protocol'
import { startDiscovery, tempDir } from './helpers/discovery-process.js'
import { codeOf, get, send, signedPost } from './helpers/provider.js'

const AD = { ip_address: '203.0.113.7', country: 'SE', resources: { cpu: 4, memory: 8, storage: 100 } }

test('advertisements expire on every read and are then removed by the background task', async (t) => {
  const service = await startDiscovery(t, {
    env: { GOLEM_DISCOVERY_ADVERTISEMENT_EXPIRY_SECONDS: '1', GOLEM_DISCOVERY_CLEANUP_INTERVAL_SECONDS: '0.2' },
  })
  const wallet = Wallet.createRandom()
  assert.equal((await send(service.url, await signedPost(wallet, AD))).status, 200)
  const path = `${ADVERTISEMENTS_PATH}/${wallet.address}`
  assert.equal((await get(service.url, path)).status, 200)
  let status = 200
  for (let i = 0; i < 50 && status === 200; i++) {
    await sleep(100)
    status = (await get(service.url, path)).status
  }
  assert.equal(status, 404, 'the single read honours the expiry')
  assert.deepEqual((await get(service.url, ADVERTISEMENTS_PATH)).json, [])
  const removed = await service.waitForLog((l) => l.event === 'expired-removed', 5_000)
  assert.equal(removed.removed, 1)
})

test('the rate limit answers 429 RATE_001 with Retry-After; /health is exempt', async (t) => {
  const service = await startDiscovery(t, { env: { GOLEM_DISCOVERY_RATE_LIMIT_PER_MINUTE: '5' } })
  for (let i = 0; i < 5; i++) assert.equal((await get(service.url, ADVERTISEMENTS_PATH)).status, 200)
  const limited = await get(service.url, ADVERTISEMENTS_PATH)
  assert.equal(limited.status, 429)
  assert.equal(codeOf(limited.json), 'RATE_001')
  assert.ok(Number(limited.headers.get('retry-after')) > 0)
  assert.equal((await get(service.url, '/health')).status, 200)
})

test('a restart keeps the advertisements, and still refuses a replay of the last signed post', async (t) => {
  const dataDir = tempDir(t)
  const first = await startDiscovery(t, { dataDir })
  const wallet = Wallet.createRandom()
  const post = await signedPost(wallet, { ...AD, provider_name: 'persistent' })
  const stored = Advertisement.parse((await send(first.url, post)).json)
  assert.equal(await first.stop(), 0, 'a graceful stop exits with 0')
  assert.ok(first.logs.some((l) => l.event === 'stopped'))

  const second = await startDiscovery(t, { dataDir })
  const again = await get(second.url, `${ADVERTISEMENTS_PATH}/${wallet.address}`)
  assert.equal(again.status, 200)
  assert.deepEqual(Advertisement.parse(again.json), stored)
  const replay = await send(second.url, post)
  assert.equal(replay.status, 401)
  assert.equal(codeOf(replay.json), 'AUTH_005')
})

test('a bad setting stops the start with every problem listed and exit status 2', async (t) => {
  const { spawnSync } = await import('node:child_process')
  const { fileURLToPath } = await import('node:url')
  const bin = fileURLToPath(new URL('../../bin/golem-discovery.js', import.meta.url))
  const dataDir = tempDir(t)
  const result = spawnSync(process.execPath, [bin], {
    env: { PATH: process.env.PATH ?? '', GOLEM_DISCOVERY_DATA_DIR: dataDir, GOLEM_DISCOVERY_PORT: 'x', GOLEM_DISCOVERY_ALLOW_UNSIGNED: 'maybe' },
    encoding: 'utf8',
    timeout: 15_000,
  })
  assert.equal(result.status, 2)
  assert.match(result.stderr, /GOLEM_DISCOVERY_PORT/)
  assert.match(result.stderr, /GOLEM_DISCOVERY_ALLOW_UNSIGNED/)
})
