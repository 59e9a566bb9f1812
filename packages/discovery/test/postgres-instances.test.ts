/**
 * Several discovery instances on one real PostgreSQL server: they migrate
 * once between them, share advertisements and replay protection, keep
 * answering when one of them dies, and ride out a database restart on their
 * own (503 while it is down, no crash, back without a restart of theirs).
 */
import { strict as assert } from 'node:assert'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'node:test'
import { Wallet } from 'ethers'
import { ADVERTISEMENTS_PATH, Advertisement, advertisementPath } from '@golem-vm/protocol'
import { startDiscovery, type DiscoveryProcess } from './helpers/discovery-process.js'
import { startPostgres } from './helpers/postgres.js'
import { codeOf, get, send, signedPost } from './helpers/provider.js'

const AD = { ip_address: '127.0.0.1', country: 'SE', resources: { cpu: 4, memory: 8, storage: 100 } }

// GETs `path` from every service in turn until stopped; records each status (0 = no answer at all).
function load(services: readonly DiscoveryProcess[], path: string) {
  const statuses: number[] = []
  const state = { running: true }
  const done = (async () => {
    for (let i = 0; state.running && i < 100_000; i++) {
      const service = services[i % services.length]!
      statuses.push(
        await fetch(`${service.url}${path}`, { signal: AbortSignal.timeout(5_000) }).then(
          (r) => r.status,
          () => 0,
        ),
      )
    }
  })()
  return {
    statuses,
    stop: async () => {
      state.running = false
      await done
    },
  }
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (let i = 0; i < 1_000 && Date.now() < deadline; i++) {
    if (await check()) return
    await sleep(100)
  }
  throw new Error(`timed out waiting for ${what}`)
}

test('two instances on one PostgreSQL database', async (t) => {
  const pg = await startPostgres(t)
  const url = await pg.createDatabase('discovery')
  const env = { GOLEM_DISCOVERY_DATABASE_URL: url, GOLEM_DISCOVERY_RATE_LIMIT_PER_MINUTE: '0' }
  const [a, b] = await Promise.all([startDiscovery(t, { env }), startDiscovery(t, { env })])

  await t.test('they started together and migrated the schema once', () => {
    const migrated = [a, b].filter((s) => s.logs.some((l) => l.event === 'schema-migrated'))
    assert.equal(migrated.length, 1)
  })

  const wallet = Wallet.createRandom()
  const post = await signedPost(wallet, AD)
  await t.test('a provider posts to one, a renter reads it from the other; a replay to the other is refused', async () => {
    const stored = await send(a.url, post)
    assert.equal(stored.status, 200)
    const read = await get(b.url, advertisementPath(wallet.address))
    assert.equal(read.status, 200)
    assert.deepEqual(Advertisement.parse(read.json), Advertisement.parse(stored.json))
    const replay = await send(b.url, post)
    assert.equal(replay.status, 401)
    assert.equal(codeOf(replay.json), 'AUTH_005')
    assert.deepEqual((await get(b.url, '/health')).json, { status: 'healthy', database: 'ok' })
  })

  await t.test('a database restart under load: 503 while it is down, both recover by themselves', async () => {
    const traffic = load([a, b], `${ADVERTISEMENTS_PATH}?cpu=2`)
    await sleep(300)
    pg.stop()
    await until('both to answer 503', async () => (await Promise.all([a, b].map(async (s) => (await get(s.url, '/health')).status))).every((s) => s === 503))
    const down = await get(a.url, ADVERTISEMENTS_PATH)
    assert.equal(down.status, 503)
    assert.equal(codeOf(down.json), 'SERVER_002')
    assert.ok(Number(down.headers.get('retry-after')) > 0)
    pg.start()
    await until('both to answer again', async () => (await Promise.all([a, b].map(async (s) => (await get(s.url, '/health')).status))).every((s) => s === 200))
    await sleep(300)
    await traffic.stop()
    const unexpected = traffic.statuses.filter((s) => s !== 200 && s !== 503)
    assert.deepEqual(unexpected, [], 'every request was answered, 200 or 503')
    assert.ok(traffic.statuses.includes(503) && traffic.statuses.at(-1) === 200)
    for (const s of [a, b]) {
      assert.ok(s.logs.some((l) => l.event === 'database-down'))
      assert.ok(s.logs.some((l) => l.event === 'database-up'))
    }
    assert.equal((await get(b.url, advertisementPath(wallet.address))).status, 200, 'the data is back')
  })

  await t.test('one instance killed mid-load: the other keeps answering without an error', async () => {
    const traffic = load([b], ADVERTISEMENTS_PATH)
    await sleep(300)
    await a.kill()
    await sleep(500)
    await traffic.stop()
    assert.ok(traffic.statuses.length > 5)
    assert.deepEqual(
      traffic.statuses.filter((s) => s !== 200),
      [],
    )
    const again = await send(b.url, await signedPost(wallet, { ...AD, provider_name: 'after' }))
    assert.equal(again.status, 200, 'and takes writes')
  })
})
