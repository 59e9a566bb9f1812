import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ProviderError } from '../domain/errors.js'
import type { FakeDriver } from '../drivers/fake/fake-driver.js'
import type { Caller } from './vm-service.js'
import { anyone, assertNothingLeft, command, harness, PUBLIC_SSH_HOST, type Harness } from '../../test/helpers/vm-service-harness.js'
import type { OperationFinished, OperationStarted } from './ports/telemetry.js'

test('create reserves, launches, opens the proxy and records the running VM', async () => {
  const h = harness()
  const vm = await h.service.create(command('web-1', anyone, { resources: { cpu: 2, memory: 4, storage: 20 } }))
  assert.equal(vm.status, 'running')
  assert.equal(vm.sshPort, 50800)
  assert.match(vm.instance, /^golem-web-1-\d{8}-\d{6}$/)
  assert.equal(vm.id, vm.instance, 'the provider keys a new VM by its instance name')
  assert.equal(vm.name, 'web-1')
  assert.deepEqual(h.proxy.open.get(vm.id), { port: 50800, target: { host: '127.0.0.1', port: 22 } })
  assert.deepEqual(h.store.snapshot().allocated, { cpu: 2, memory: 4, storage: 20 })
  const launched = h.driver.instances.get(vm.instance)
  assert.match(launched?.spec.cloudInit.userData ?? '', /ssh-ed25519 /)
})

test("create and start answer only once SSH answers through the public port, the renter's path, after the guest itself", async () => {
  const h = harness()
  const vm = await h.service.create(command('web-1'))
  assert.deepEqual(h.sshAsked, [
    { host: '127.0.0.1', port: 22 },
    { host: PUBLIC_SSH_HOST, port: vm.sshPort },
  ])
  await h.service.stop('web-1', anyone)
  h.sshAsked.length = 0
  await h.service.start('web-1', anyone)
  assert.deepEqual(h.sshAsked, [
    { host: '127.0.0.1', port: 22 },
    { host: PUBLIC_SSH_HOST, port: vm.sshPort },
  ])
  const slow = harness({}, { createMs: 300, startMs: 300, stopMs: 300, deleteMs: 300 })
  slow.publicSshFails.value = true
  await assert.rejects(slow.service.create(command('web-2')), (e: unknown) => {
    assert.ok(e instanceof ProviderError && e.code === 'BACKEND_TIMEOUT', String(e))
    assert.match(e.message, new RegExp(`answers at 127\\.0\\.0\\.1:22 but not through its public port ${PUBLIC_SSH_HOST}:\\d+`))
    return true
  })
  assertNothingLeft(slow)
})

// One process, one event loop: what this proves is that a reservation counts from the moment it is made, while its
// launch is still under way, and that the asynchronous steps around it (payment, quotas, the launch) cannot let a
// second create into the same room. The launches are held open until all 97 refusals are in, so a ledger that counted
// only launched VMs would admit more than 3 and fail here. Another process cannot write the ledger at all (a second
// provider on the same data dir refuses to start: test/integration/provider-cli.test.ts).
test('100 interleaved creates against room for 3: the 3 reservations count while their launches are held open, the 97 others are refused, the ledger is exact', async () => {
  const h = harness({ totals: { cpu: 3, memory: 16, storage: 200 } })
  let release = (): void => undefined
  h.driver.launchGate = new Promise((resolve) => (release = resolve))
  let refusedSoFar = 0
  let allRefused = (): void => undefined
  const refusalsIn = new Promise<void>((resolve) => (allRefused = resolve))
  const creates = Array.from({ length: 100 }, (_, i) =>
    h.service.create(command(`vm-${i}`)).catch((error: unknown) => {
      if (++refusedSoFar === 97) allRefused()
      throw error
    }),
  )
  const timeout = AbortSignal.timeout(30_000)
  await Promise.race([refusalsIn, new Promise((_, reject) => timeout.addEventListener('abort', () => reject(new Error('the 97 refusals never came'))))])
  assert.equal(h.driver.calls.filter((c) => c.method === 'launch').length, 3, 'exactly 3 launches began while all were held open')
  assert.deepEqual(h.store.snapshot().allocated, { cpu: 3, memory: 3, storage: 30 }, 'the reservations under way are in the ledger')
  release()
  const results = await Promise.allSettled(creates)
  const ok = results.filter((r) => r.status === 'fulfilled')
  const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as ProviderError] : []))
  assert.equal(ok.length, 3)
  assert.equal(refused.length, 97)
  assert.ok(
    refused.every((e) => e instanceof ProviderError && e.code === 'INSUFFICIENT_RESOURCES'),
    'all refusals are capacity errors',
  )
  assert.deepEqual(h.store.snapshot().allocated, { cpu: 3, memory: 3, storage: 30 })
  assert.equal(h.driver.instances.size, 3)
  assert.equal(h.store.list().length, 3)
})

test('a failure at each step of create leaves nothing behind', async (t) => {
  const steps: [string, (h: Harness) => void][] = [
    ['launch fails', (h) => h.driver.failing.add('launch')],
    ['launch hangs past the deadline', (h) => h.driver.hanging.add('launch')],
    [
      'ssh never answers',
      (h) => {
        h.sshFails.value = true
      },
    ],
    [
      'ssh answers at the guest but never through the public port',
      (h) => {
        h.publicSshFails.value = true
      },
    ],
    [
      'the port cannot be bound',
      (h) => {
        h.proxy.failOpen = true
      },
    ],
  ]
  for (const [name, inject] of steps) {
    await t.test(name, async () => {
      const h = harness({}, { createMs: 300, startMs: 300, stopMs: 300, deleteMs: 300 })
      inject(h)
      await assert.rejects(h.service.create(command('doomed', anyone)), (e: unknown) => e instanceof ProviderError && e.code !== 'INTERNAL')
      assertNothingLeft(h)
      assert.equal(h.capacityChanges.count, 2, 'reserve and release were both signalled')
    })
  }
})

test('a failed create whose instance cannot be removed keeps its reservation, marked error', async () => {
  const h = harness()
  h.driver.failing.add('launch')
  h.driver.failing.add('destroy')
  await assert.rejects(h.service.create(command('stuck', anyone)))
  const vm = h.store.findByName('unsigned', 'stuck')
  assert.equal(vm?.status, 'error')
  assert.deepEqual(h.store.snapshot().allocated, { cpu: 1, memory: 1, storage: 10 })
})

test('a create that fails on a host out of open files frees its reservation once the undo gets through (EMFILE)', async () => {
  const h = harness()
  h.driver.shortOfFiles.set('launch', 1)
  h.driver.shortOfFiles.set('destroy', 2) // the undo meets the same shortage twice, then it has passed
  await assert.rejects(h.service.create(command('emfile', anyone)), (e: unknown) => e instanceof ProviderError && e.code === 'BACKEND_UNAVAILABLE')
  assert.equal(h.driver.calls.filter((c) => c.method === 'destroy').length, 3, 'the destroy was retried until it got through')
  assertNothingLeft(h)
})

test('a shortage that outlasts the delete deadline keeps the reservation, marked error; a plain failure is not retried', async () => {
  const h = harness({}, { createMs: 2000, startMs: 2000, stopMs: 2000, deleteMs: 600 })
  h.driver.failing.add('launch')
  h.driver.shortOfFiles.set('destroy', 1000)
  await assert.rejects(h.service.create(command('starved', anyone)))
  const destroys = h.driver.calls.filter((c) => c.method === 'destroy').length
  assert.ok(destroys >= 2 && destroys <= 4, `retried with backoff within the deadline: ${destroys} destroys`)
  assert.equal(h.store.findByName('unsigned', 'starved')?.status, 'error')
  const plain = harness()
  plain.driver.failing.add('launch')
  plain.driver.failing.add('destroy')
  await assert.rejects(plain.service.create(command('broken', anyone)))
  assert.equal(plain.driver.calls.filter((c) => c.method === 'destroy').length, 1)
})

test('a taken name is refused with VM_NAME_TAKEN and the first VM is untouched', async () => {
  const h = harness()
  const first = await h.service.create(command('dup', anyone))
  await assert.rejects(h.service.create(command('dup', anyone)), { code: 'VM_NAME_TAKEN' })
  assert.deepEqual(h.store.findByName('unsigned', 'dup'), first)
  assert.equal(h.driver.instances.size, 1)
})

test('an image outside the catalogue is refused before anything is reserved', async () => {
  const h = harness()
  await assert.rejects(h.service.create(command('img', anyone, { image: 'http://evil/image' })), { code: 'IMAGE_NOT_AVAILABLE' })
  assertNothingLeft(h)
})

test('stop, start and delete: the port stays for the VM life, delete frees everything', async () => {
  const h = harness()
  const { id } = await h.service.create(command('life', anyone))
  assert.equal((await h.service.stop('life', anyone)).status, 'stopped')
  assert.equal(h.proxy.open.get(id)?.target, null)
  assert.equal((await h.service.stop('life', anyone)).status, 'stopped', 'stop is idempotent')
  const started = await h.service.start('life', anyone)
  assert.equal(started.status, 'running')
  assert.equal(started.sshPort, 50800)
  await h.service.delete('life', anyone)
  assertNothingLeft(h)
  assert.throws(() => h.service.get('life', anyone), { code: 'VM_NOT_FOUND' })
})

test('a renter sees only its own VMs; the operator sees all', async () => {
  const h = harness()
  const alice: Caller = { kind: 'renter', address: '0xA11CE00000000000000000000000000000000001' }
  const bob: Caller = { kind: 'renter', address: '0xB0B0000000000000000000000000000000000002' }
  await h.service.create(command('alice-vm', alice))
  assert.throws(() => h.service.get('alice-vm', bob), { code: 'VM_NOT_FOUND' })
  await assert.rejects(h.service.delete('alice-vm', bob), { code: 'VM_NOT_FOUND' })
  assert.deepEqual(h.service.list(bob), [])
  assert.equal(h.service.list({ kind: 'operator' }).length, 1)
  assert.equal(h.service.get('alice-vm', alice).name, 'alice-vm')
})

test('a create without an image gets the default image, and the login user is stored with the VM', async () => {
  const h = harness()
  const vm = await h.service.create(command('plain'))
  assert.equal(vm.image, '24.04')
  assert.equal(vm.sshUser, 'ubuntu')
  assert.equal(h.store.get(vm.id)?.sshUser, 'ubuntu')
})

test("driver errors become the client's BACKEND_* codes; a port that cannot be bound is PORT_UNAVAILABLE", async () => {
  const h = harness()
  h.driver.failing.add('launch')
  await assert.rejects(
    h.service.create(command('broken')),
    (e: unknown) => e instanceof ProviderError && e.code === 'BACKEND_FAILED' && /launch failed as the test asked/.test(e.message),
  )
  h.driver.failing.clear()
  h.proxy.failOpen = true
  await assert.rejects(
    h.service.create(command('no-port')),
    (e: unknown) => e instanceof ProviderError && e.code === 'PORT_UNAVAILABLE' && /another process holds it/.test(e.message),
  )
})

test('an SSH server that never answers is a BACKEND_TIMEOUT that carries what the backend knows of the boot', async () => {
  const h = harness({}, { createMs: 200, startMs: 200, stopMs: 200, deleteMs: 200 })
  h.sshFails.value = true
  Object.assign(h.driver, { bootReport: () => Promise.resolve('last console lines:\nKernel panic') })
  await assert.rejects(
    h.service.create(command('silent')),
    (e: unknown) =>
      e instanceof ProviderError &&
      e.code === 'BACKEND_TIMEOUT' &&
      /did not bring SSH up on 127\.0\.0\.1:22; last console lines:\nKernel panic/.test(e.message),
  )
  assertNothingLeft(h)
})

test('a VM that stops or vanishes while its guest boots fails the create at once with BACKEND_FAILED and the boot report, not at the deadline', async (t) => {
  const ends: [string, (driver: FakeDriver, instance: string) => void][] = [
    [
      'the guest powers off',
      (driver, instance) => {
        driver.instances.get(instance)!.state = 'stopped'
      },
    ],
    [
      'the backend loses the instance',
      (driver, instance) => {
        driver.instances.delete(instance)
      },
    ],
  ]
  for (const [name, end] of ends) {
    await t.test(name, async () => {
      // A deadline the test's own timeout would hit first: only the watch can end this create.
      const h = harness({}, { createMs: 3_600_000, startMs: 3_600_000, stopMs: 2000, deleteMs: 2000 })
      h.sshFails.value = true
      const launch = h.driver.launch.bind(h.driver)
      h.driver.launch = async (spec, signal) => {
        const running = await launch(spec, signal)
        end(h.driver, spec.instance)
        return running
      }
      Object.assign(h.driver, { bootReport: () => Promise.resolve('last console lines:\nreboot: Power down') })
      await assert.rejects(
        h.service.create(command('dies')),
        (e: unknown) =>
          e instanceof ProviderError && e.code === 'BACKEND_FAILED' && /while its guest was booting; last console lines:\nreboot: Power down/.test(e.message),
      )
      assertNothingLeft(h)
    })
  }
})

test('a VM that stops again while booting after a start is marked error with BACKEND_FAILED', async () => {
  const h = harness({}, { createMs: 2000, startMs: 3_600_000, stopMs: 2000, deleteMs: 2000 })
  const vm = await h.service.create(command('restart'))
  await h.service.stop('restart', anyone)
  h.sshFails.value = true
  const start = h.driver.start.bind(h.driver)
  h.driver.start = async (instance, signal) => {
    const running = await start(instance, signal)
    h.driver.instances.get(instance)!.state = 'stopped'
    return running
  }
  await assert.rejects(h.service.start('restart', anyone), { code: 'BACKEND_FAILED' })
  assert.equal(h.store.get(vm.id)?.status, 'error')
  assert.match(h.store.get(vm.id)?.errorMessage ?? '', /^start failed: the VM stopped while its guest was booting/)
})

test('a backend whose inspect fails while the guest boots does not end the wait', async () => {
  const h = harness({}, { createMs: 400, startMs: 400, stopMs: 400, deleteMs: 400 })
  h.sshFails.value = true
  h.driver.failing.add('inspect')
  await assert.rejects(h.service.create(command('slow')), { code: 'BACKEND_TIMEOUT' })
  assert.ok(h.driver.calls.filter((c) => c.method === 'inspect').length >= 2, 'the backend was asked meanwhile')
})

test('names are scoped per owner: two renters, the operator and the unsigned callers each have their own "web"', async () => {
  const h = harness()
  const alice: Caller = { kind: 'renter', address: '0xA11CE00000000000000000000000000000000001' }
  const bob: Caller = { kind: 'renter', address: '0xB0B0000000000000000000000000000000000002' }
  const operator: Caller = { kind: 'operator' }
  const made = [
    await h.service.create(command('web', alice)),
    await h.service.create(command('web', bob)),
    await h.service.create(command('web', operator)),
    await h.service.create(command('web', anyone)),
  ]
  assert.equal(new Set(made.map((vm) => vm.instance)).size, 4, 'instances stay unique inside the provider, even within one second')
  assert.equal(new Set(made.map((vm) => vm.sshPort)).size, 4)
  assert.equal(h.service.get('web', alice).id, made[0]?.id)
  assert.equal(h.service.get('web', bob).id, made[1]?.id)
  assert.equal(h.service.get('web', anyone).id, made[3]?.id)
  await assert.rejects(h.service.create(command('web', alice)), { code: 'VM_NAME_TAKEN' })
  assert.throws(() => h.service.get('web', operator), { code: 'VM_NAME_AMBIGUOUS' }, 'the operator must say which')
  assert.equal(h.service.get(made[1]?.instance ?? '', operator).id, made[1]?.id)
  await h.service.delete('web', bob)
  assert.equal(h.service.get('web', alice).status, 'running', "bob's delete touched only bob's VM")
  assert.equal(h.store.list().length, 3)
})

test("unsigned callers are listed nothing and never see the operator's VMs", async () => {
  const h = harness()
  await h.service.create(command('ops', { kind: 'operator' }))
  await h.service.create(command('legacy', anyone))
  assert.deepEqual(h.service.list(anyone), [])
  assert.throws(() => h.service.get('ops', anyone), { code: 'VM_NOT_FOUND' })
  await assert.rejects(h.service.delete('ops', anyone), { code: 'VM_NOT_FOUND' })
  assert.equal(h.service.get('legacy', anyone).name, 'legacy', 'a name it knows still reaches its VM')
  assert.equal(h.service.list({ kind: 'operator' }).length, 2)
  assert.equal(h.service.get('legacy', { kind: 'operator' }).name, 'legacy', 'the operator reaches a unique name')
})

test('telemetry hears every operation once: its result, its code and the phases that ran', async () => {
  const started: OperationStarted[] = []
  const finished: OperationFinished[] = []
  const h = harness({ maxVms: 1 }, undefined, { operationStarted: (e) => started.push(e), operationFinished: (e) => finished.push(e) })
  await h.service.create(command('t-1'))
  await h.service.stop('t-1', anyone)
  await h.service.start('t-1', anyone)
  await assert.rejects(h.service.create(command('t-2')), { code: 'VM_LIMIT_REACHED' })
  await assert.rejects(h.service.stop('nope', anyone), { code: 'VM_NOT_FOUND' })
  await h.service.delete('t-1', anyone)
  assert.deepEqual(
    started.map((e) => `${e.operation} ${e.vmId}`),
    ['create t-1', 'stop t-1', 'start t-1', 'create t-2', 'stop nope', 'delete t-1'],
  )
  assert.deepEqual(
    finished.map((e) => `${e.operation} ${e.vmId} ${e.code ?? 'ok'}`),
    ['create t-1 ok', 'stop t-1 ok', 'start t-1 ok', 'create t-2 VM_LIMIT_REACHED', 'stop nope VM_NOT_FOUND', 'delete t-1 ok'],
  )
  assert.deepEqual(
    finished.map((e) => Object.keys(e.phasesMs).sort().join(',')),
    ['launch,proxy,ssh', 'stop', 'proxy,ssh,start', '', '', 'destroy,proxy'],
  )
  for (const e of finished) assert.ok(e.durationMs >= 0 && Object.values(e.phasesMs).every((ms) => ms >= 0 && ms <= e.durationMs + 1))
})
