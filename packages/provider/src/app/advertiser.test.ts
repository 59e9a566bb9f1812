import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import pino from 'pino'
import type { AdvertisementBody } from '@golem-vm/protocol'
import type { ResourceAmounts } from '../domain/capacity.js'
import type { AdvertisementSent } from './ports/telemetry.js'
import { Advertiser, advertisedArch, type AdvertisementPublisher, type AdvertiserDeps, type AdvertiserTimers } from './advertiser.js'

const PROVIDER = '0x5150000000000000000000000000000000000001'
const INTERVAL = 240_000
const MINIMUMS = { cpu: 1, memory: 1, storage: 10 }

// Timers on a fake clock; `advance` runs what falls due, letting promises settle after each callback.
class FakeClock implements AdvertiserTimers {
  #now = 1_700_000_000_000
  #seq = 0
  readonly timers = new Map<number, { due: number; callback: () => void }>()
  now(): number {
    return this.#now
  }
  setTimeout(callback: () => void, ms: number): unknown {
    this.#seq++
    this.timers.set(this.#seq, { due: this.#now + ms, callback })
    return this.#seq
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number)
  }
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms
    await settle()
    for (let i = 0; i < 10_000; i++) {
      const next = [...this.timers.entries()].filter(([, t]) => t.due <= target).sort((a, b) => a[1].due - b[1].due || a[0] - b[0])[0]
      if (next === undefined) break
      this.timers.delete(next[0])
      this.#now = next[1].due
      next[1].callback()
      await settle()
    }
    this.#now = target
  }
}

const settle = async () => {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve))
}

type Call = { method: 'post'; body: AdvertisementBody; at: number } | { method: 'delete'; id: string; at: number }

// A discovery stand-in: 'up' answers, 'down' fails like a dead network, 'refuse' like a 4xx, 'hang' never answers.
class FakePublisher implements AdvertisementPublisher {
  mode: 'up' | 'down' | 'refuse' | 'hang' = 'up'
  readonly calls: Call[] = []
  inFlight = 0
  maxInFlight = 0
  gate: Promise<void> | undefined
  constructor(private readonly clock: FakeClock) {}
  async post(body: AdvertisementBody, signal?: AbortSignal): Promise<unknown> {
    this.calls.push({ method: 'post', body, at: this.clock.now() })
    return this.#answer(signal)
  }
  async delete(id: string, signal?: AbortSignal): Promise<unknown> {
    this.calls.push({ method: 'delete', id, at: this.clock.now() })
    return this.#answer(signal)
  }
  posts() {
    return this.calls.filter((c) => c.method === 'post')
  }
  deletes() {
    return this.calls.filter((c) => c.method === 'delete')
  }
  async #answer(signal: AbortSignal | undefined): Promise<unknown> {
    this.inFlight++
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight)
    try {
      if (this.gate !== undefined) await this.gate
      if (this.mode === 'hang') await new Promise((_, reject) => signal?.addEventListener('abort', () => reject(new Error('aborted'))))
      if (this.mode === 'down') throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'DISCOVERY_UNREACHABLE', retryable: true })
      if (this.mode === 'refuse')
        throw Object.assign(new Error('answered 401 AUTH_001'), { code: 'DISCOVERY_REFUSED', serverCode: 'AUTH_001', retryable: false })
      return {}
    } finally {
      this.inFlight--
    }
  }
}

interface Rig {
  readonly clock: FakeClock
  readonly publisher: FakePublisher
  readonly advertiser: Advertiser
  readonly logs: { level: number; msg: string }[]
  free: ResourceAmounts
  fits: number
}

function rig(t: TestContext, overrides: Partial<AdvertiserDeps> = {}): Rig {
  const clock = new FakeClock()
  const publisher = new FakePublisher(clock)
  const logs: { level: number; msg: string }[] = []
  const logger = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line) as { level: number; msg: string }) })
  const state = { free: { cpu: 4, memory: 8, storage: 100 }, fits: 4 }
  const advertiser = new Advertiser({
    publisher,
    providerId: PROVIDER,
    logger,
    timers: clock,
    random: () => 0.5,
    minimums: MINIMUMS,
    intervalMs: INTERVAL,
    facts: () => ({ ip_address: '203.0.113.7', country: 'SE', provider_name: 'test', version: '0.2.0', arch: 'x86_64', api_port: 7466 }),
    freeCapacity: () => state.free,
    vmsThatFit: () => state.fits,
    freeSshPorts: () => 7,
    ...overrides,
  })
  t.after(() => advertiser.stop())
  return Object.assign(state, { clock, publisher, advertiser, logs })
}

const WARN = 40
const INFO = 30
const ERROR = 50
const lines = (r: Rig, level: number, pattern: RegExp) => r.logs.filter((l) => l.level === level && pattern.test(l.msg))

test('start posts the advertisement at once, in the background, with the legacy and the extra keys', async (t) => {
  const r = rig(t)
  r.advertiser.start()
  assert.equal(r.publisher.calls.length, 0, 'start does no I/O itself')
  await r.clock.advance(0)
  assert.deepEqual(r.publisher.calls, [
    {
      method: 'post',
      at: r.clock.now(),
      body: {
        ip_address: '203.0.113.7',
        country: 'SE',
        resources: { cpu: 4, memory: 8, storage: 100 },
        provider_name: 'test',
        version: '0.2.0',
        arch: 'x86_64',
        api_port: 7466,
        ssh_ports_free: 7,
      },
    },
  ])
  assert.equal(lines(r, INFO, /advertisement published/).length, 1)
})

test('the port offer rides in resources as integer keys: ports one VM can get and whether UDP is offered', async (t) => {
  const r = rig(t, { portOffer: () => ({ ports_per_vm: 6, udp: 1 }) })
  r.advertiser.start()
  await r.clock.advance(0)
  assert.deepEqual(r.publisher.posts()[0]?.body.resources, { cpu: 4, memory: 8, storage: 100, ports_per_vm: 6, udp: 1 })
})

test('changes are debounced: many notifications become one post of the latest figures', async (t) => {
  const r = rig(t)
  r.advertiser.start()
  await r.clock.advance(0)
  for (let i = 0; i < 5; i++) {
    r.free = { cpu: 4, memory: 8 - i, storage: 100 }
    r.advertiser.notify()
    await r.clock.advance(50)
  }
  assert.equal(r.publisher.posts().length, 1, 'nothing posted inside the debounce window')
  await r.clock.advance(300)
  const posts = r.publisher.posts()
  assert.equal(posts.length, 2)
  assert.deepEqual(posts[1]?.method === 'post' && posts[1].body.resources, { cpu: 4, memory: 4, storage: 100 })
  assert.ok(posts[1]!.at - posts[0]!.at <= 500, 'within the debounce delay of the first change')
})

test('a notification that changes nothing sends nothing; the periodic refresh always posts', async (t) => {
  const r = rig(t)
  r.advertiser.start()
  await r.clock.advance(0)
  r.advertiser.notify()
  await r.clock.advance(1000)
  assert.equal(r.publisher.posts().length, 1)
  await r.clock.advance(INTERVAL)
  assert.equal(r.publisher.posts().length, 2)
  await r.clock.advance(INTERVAL * 3)
  assert.equal(r.publisher.posts().length, 5)
  const gaps = r.publisher
    .posts()
    .slice(1)
    .map((p, i) => p.at - r.publisher.posts()[i]!.at)
  assert.deepEqual(gaps, [INTERVAL, INTERVAL, INTERVAL, INTERVAL])
})

test('below the minimums the advertisement is withdrawn once, and posted again when capacity returns', async (t) => {
  const r = rig(t)
  r.advertiser.start()
  await r.clock.advance(0)
  r.free = { cpu: 3, memory: 7, storage: 5 }
  r.advertiser.notify()
  await r.clock.advance(500)
  assert.deepEqual(
    r.publisher.calls.map((c) => c.method),
    ['post', 'delete'],
  )
  assert.deepEqual(r.publisher.deletes()[0], { method: 'delete', id: PROVIDER, at: r.clock.now() })
  r.advertiser.notify()
  await r.clock.advance(INTERVAL * 2)
  assert.deepEqual(
    r.publisher.calls.map((c) => c.method),
    ['post', 'delete'],
    'no repeated DELETE, no post while withdrawn',
  )
  assert.equal(lines(r, INFO, /withdrawn/).length, 1)
  r.free = { cpu: 3, memory: 7, storage: 50 }
  r.advertiser.notify()
  await r.clock.advance(500)
  assert.deepEqual(
    r.publisher.calls.map((c) => c.method),
    ['post', 'delete', 'post'],
  )
  assert.equal(lines(r, INFO, /advertisement published/).length, 2)
})

test('when no VM fits (VM limit or ports exhausted) the advertisement is withdrawn', async (t) => {
  const r = rig(t)
  r.fits = 0
  r.advertiser.start()
  await r.clock.advance(0)
  assert.deepEqual(
    r.publisher.calls.map((c) => c.method),
    ['delete'],
    'at start too: an old advertisement may exist',
  )
  r.fits = 1
  r.advertiser.notify()
  await r.clock.advance(500)
  assert.deepEqual(
    r.publisher.calls.map((c) => c.method),
    ['delete', 'post'],
  )
})

test('an outage is retried with growing, bounded delays, logged once, and recovery is logged once', async (t) => {
  const r = rig(t, { tuning: { retryInitialMs: 1000, retryMaxMs: 8000 } })
  r.publisher.mode = 'down'
  r.advertiser.start()
  await r.clock.advance(0)
  await r.clock.advance(60_000)
  const times = r.publisher.calls.map((c) => c.at)
  const gaps = times.slice(1).map((at, i) => at - times[i]!)
  // random() = 0.5 gives 3/4 of each base delay: 1, 2, 4, 8 (capped) seconds.
  assert.deepEqual(gaps.slice(0, 5), [750, 1500, 3000, 6000, 6000])
  assert.ok(gaps.every((g) => g <= 8000))
  r.free = { cpu: 1, memory: 2, storage: 30 }
  r.advertiser.notify()
  const before = r.publisher.calls.length
  await r.clock.advance(500)
  assert.equal(r.publisher.calls.length, before, 'a change does not hammer a service that is down')
  r.publisher.mode = 'up'
  await r.clock.advance(8000)
  const last = r.publisher.calls.at(-1)
  assert.ok(last?.method === 'post')
  assert.deepEqual(last.body.resources, { cpu: 1, memory: 2, storage: 30 }, 'the latest state wins')
  assert.equal(lines(r, WARN, /unreachable/).length, 1)
  assert.equal(lines(r, INFO, /reachable again/).length, 1)
  await r.clock.advance(INTERVAL)
  assert.equal(lines(r, INFO, /reachable again/).length, 1)
  r.publisher.mode = 'down'
  await r.clock.advance(INTERVAL)
  assert.equal(lines(r, WARN, /unreachable/).length, 2, 'a second outage is logged again')
})

test('a refused advertisement is logged once and retried only at the interval', async (t) => {
  const r = rig(t)
  r.publisher.mode = 'refuse'
  r.advertiser.start()
  await r.clock.advance(0)
  await r.clock.advance(INTERVAL - 1)
  assert.equal(r.publisher.calls.length, 1)
  await r.clock.advance(1)
  assert.equal(r.publisher.calls.length, 2)
  assert.equal(lines(r, ERROR, /refused/).length, 1)
  assert.equal(lines(r, WARN, /unreachable/).length, 0)
})

test('never two requests at once: a change during a slow post is sent after it, with the latest figures', async (t) => {
  const r = rig(t)
  let open: () => void = () => undefined
  r.publisher.gate = new Promise((resolve) => {
    open = resolve
  })
  r.advertiser.start()
  await r.clock.advance(0)
  for (let i = 1; i <= 3; i++) {
    r.free = { cpu: 4, memory: 8 - i, storage: 100 }
    r.advertiser.notify()
    await r.clock.advance(600)
  }
  assert.equal(r.publisher.calls.length, 1)
  r.publisher.gate = undefined
  open()
  await r.clock.advance(0)
  assert.equal(r.publisher.maxInFlight, 1)
  const posts = r.publisher.posts()
  assert.equal(posts.length, 2)
  assert.ok(posts[1]?.method === 'post')
  assert.deepEqual(posts[1].body.resources, { cpu: 4, memory: 5, storage: 100 })
})

test('notify is cheap and safe: no I/O, no throw, before start and after stop', async (t) => {
  let reads = 0
  const r = rig(t, {
    freeCapacity: () => {
      reads++
      throw new Error('store closed')
    },
  })
  r.advertiser.notify()
  r.advertiser.start()
  r.advertiser.notify()
  assert.equal(reads, 0, 'notify reads nothing itself')
  await r.clock.advance(1000)
  assert.equal(r.publisher.calls.length, 0)
  assert.equal(lines(r, ERROR, /cannot be built/).length, 1)
  await r.advertiser.stop()
  r.advertiser.notify()
  assert.equal(r.clock.timers.size, 0)
})

test('an advertisement the service would refuse is not sent, and says why', async (t) => {
  const r = rig(t, { facts: () => ({ ip_address: 'auto', country: 'SE' }) })
  r.advertiser.start()
  await r.clock.advance(0)
  assert.equal(r.publisher.calls.length, 0)
  assert.match(lines(r, ERROR, /cannot be built/)[0]?.msg ?? '', /ip_address/)
})

test('stop deletes the advertisement and leaves no timer behind', async (t) => {
  const r = rig(t)
  r.advertiser.start()
  await r.clock.advance(0)
  await r.advertiser.stop()
  assert.deepEqual(
    r.publisher.calls.map((c) => c.method),
    ['post', 'delete'],
  )
  assert.equal(r.clock.timers.size, 0)
  await r.advertiser.stop()
  assert.equal(r.publisher.calls.length, 2, 'stop is idempotent')
})

test('stop cancels a hanging post, and its DELETE gives up after the budget', async (t) => {
  const r = rig(t, { tuning: { stopTimeoutMs: 3000 } })
  r.publisher.mode = 'hang'
  r.advertiser.start()
  await r.clock.advance(0)
  let done = false
  const stopping = r.advertiser.stop().then(() => {
    done = true
  })
  await r.clock.advance(2999)
  assert.equal(done, false)
  await r.clock.advance(1)
  await stopping
  assert.deepEqual(
    r.publisher.calls.map((c) => c.method),
    ['post', 'delete'],
  )
  assert.equal(r.publisher.maxInFlight, 1, 'the DELETE waited for the post to be cancelled')
  assert.equal(lines(r, WARN, /could not delete/).length, 1)
})

test('stop sends nothing when the advertisement is already withdrawn, or was never started', async (t) => {
  const r = rig(t)
  r.free = { cpu: 0, memory: 0, storage: 0 }
  r.advertiser.start()
  await r.clock.advance(0)
  await r.advertiser.stop()
  assert.deepEqual(
    r.publisher.calls.map((c) => c.method),
    ['delete'],
  )
  const idle = rig(t)
  await idle.advertiser.stop()
  assert.equal(idle.publisher.calls.length, 0)
})

test('advertisedArch names Node architectures as requestors know them', () => {
  assert.equal(advertisedArch('x64'), 'x86_64')
  assert.equal(advertisedArch('arm64'), 'aarch64')
  assert.equal(advertisedArch('riscv64'), 'riscv64')
})

test('a refusal after an outage ends the outage: changes are posted again at once', async (t) => {
  const r = rig(t)
  r.publisher.mode = 'down'
  r.advertiser.start()
  await r.clock.advance(0)
  r.publisher.mode = 'refuse'
  await r.clock.advance(1000)
  assert.equal(lines(r, INFO, /reachable again/).length, 1)
  assert.equal(lines(r, ERROR, /refused/).length, 1)
  r.publisher.mode = 'up'
  const before = r.publisher.calls.length
  r.free = { cpu: 2, memory: 2, storage: 20 }
  r.advertiser.notify()
  await r.clock.advance(500)
  assert.equal(r.publisher.calls.length, before + 1)
})

test('a publisher that rejects with a non-error is survived', async (t) => {
  const clock = new FakeClock()
  const publisher: AdvertisementPublisher = {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the point of the test
    post: () => Promise.reject(undefined),
    delete: () => Promise.resolve(),
  }
  const r = rig(t, { publisher, timers: clock })
  r.advertiser.start()
  await clock.advance(0)
  await clock.advance(10_000)
  assert.equal(lines(r, WARN, /unreachable/).length, 1)
})

test('telemetry hears each post and withdrawal with its outcome and time', async (t) => {
  const sent: AdvertisementSent[] = []
  const r = rig(t, { telemetry: { advertisementSent: (e) => sent.push(e) } })
  r.advertiser.start()
  await r.clock.advance(0)
  r.publisher.mode = 'down'
  r.fits = 0
  r.advertiser.notify()
  await r.clock.advance(500)
  r.publisher.mode = 'refuse'
  await r.clock.advance(60_000)
  const shown = sent.map((e) => `${e.kind} ${e.result}`)
  assert.deepEqual(shown.slice(0, 3), ['post ok', 'withdraw unreachable', 'withdraw refused'])
  assert.ok(shown.slice(3).every((s) => s === 'withdraw refused'))
  assert.equal(sent[0]?.at.getTime(), 1_700_000_000_000)
})
