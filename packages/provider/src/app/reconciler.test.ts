import assert from 'node:assert/strict'
import { test } from 'node:test'
import pino from 'pino'
import type { DriverVmState } from '../drivers/driver.js'
import { FakeDriver } from '../drivers/fake/fake-driver.js'
import { anyone, command, harness, type Harness } from '../../test/helpers/vm-service-harness.js'
import { reconcile, type ReconcilerDeps } from './reconciler.js'

// A fake backend that reports one instance in a state the provider has no name for (as Multipass's "Suspended").
class OddStateDriver extends FakeDriver {
  readonly odd = new Set<string>()
  override async inspect(instance: string, signal: AbortSignal): Promise<DriverVmState> {
    const state = await super.inspect(instance, signal)
    return this.odd.has(instance) ? { kind: 'other', detail: 'Suspended' } : state
  }
}

// The reconciler's parts as compose.ts wires them, over the harness's store and recording proxy.
function depsOf(h: Harness, driver = h.driver): ReconcilerDeps {
  return {
    store: h.store,
    driver,
    proxy: { open: (id, port, target) => h.proxy.openVm(id, port, target), close: () => Promise.resolve() },
    forwarder: {
      openPort: (id, mapping, target) => h.proxy.openVm(`${id}#${mapping.publicPort}`, mapping.publicPort, target),
      closePort: () => Promise.resolve(),
      setPortTarget: () => undefined,
    },
    logger: pino({ level: 'silent' }),
    commandTimeoutMs: 5_000,
    minimums: { cpu: 1, memory: 1, storage: 10 },
  }
}

test('a vanished instance closes its record and frees its resources; the others are restored', async () => {
  const h = harness()
  const gone = await h.service.create(command('gone'))
  const kept = await h.service.create(command('kept'))
  h.driver.instances.delete(gone.instance)
  h.proxy.open.clear()
  const report = await reconcile(depsOf(h))
  assert.deepEqual(report, { restored: [kept.id], rolledBack: [], vanished: [gone.id], failed: [], unknownInstances: [] })
  assert.deepEqual(
    h.store.list().map((vm) => [vm.id, vm.status]),
    [[kept.id, 'running']],
  )
  assert.deepEqual(h.store.snapshot().allocated, { cpu: 1, memory: 1, storage: 10 })
  assert.deepEqual([...h.proxy.open.keys()], [kept.id], 'only the kept VM gets its SSH port back')
})

test('an instance no record names is reported and left alone', async () => {
  const h = harness()
  const vm = await h.service.create(command('mine'))
  const stranger = 'golem-stranger-20260101-000000'
  h.driver.instances.set(stranger, { state: 'running', spec: h.driver.instances.get(vm.instance)!.spec })
  const report = await reconcile(depsOf(h))
  assert.deepEqual(report.unknownInstances, [stranger])
  assert.deepEqual(report.restored, [vm.id])
  assert.ok(h.driver.instances.has(stranger), 'the unknown instance is not destroyed')
  assert.equal(
    h.driver.calls.some((c) => c.instance === stranger && c.method !== 'list'),
    false,
    'nothing but the listing touches it',
  )
})

test('an unknown instance counts against capacity and the VM limit with what the backend says it holds, else the minimum VM', async () => {
  const h = harness()
  const vm = await h.service.create(command('mine'))
  const spec = h.driver.instances.get(vm.instance)!.spec
  const big = 'golem-big-20260101-000000'
  const vague = 'golem-vague-20260101-000000'
  h.driver.instances.set(big, { state: 'running', spec: { ...spec, instance: big, resources: { cpu: 2, memory: 3, storage: 20 } } })
  h.driver.instances.set(vague, { state: 'stopped', spec: { ...spec, instance: vague } })
  // The backend cannot tell what `vague` holds: it counts as the minimum VM.
  const holdings = h.driver.holdings.bind(h.driver)
  h.driver.holdings = (instance) => (instance === vague ? Promise.reject(new Error('info failed')) : holdings(instance))
  const before = h.store.snapshot()
  await reconcile(depsOf(h))
  assert.deepEqual(
    h.store.unknownInstances().map((u) => [u.instance, u.resources]),
    [
      [big, { cpu: 2, memory: 3, storage: 20 }],
      [vague, { cpu: 1, memory: 1, storage: 10 }],
    ],
  )
  const after = h.store.snapshot()
  assert.deepEqual(after.allocated, { cpu: before.allocated.cpu + 3, memory: before.allocated.memory + 4, storage: before.allocated.storage + 30 })
  assert.equal(after.vmCount, before.vmCount + 2)
  // Gone at the next start (the operator deleted them): nothing is held any more.
  h.driver.instances.delete(big)
  h.driver.instances.delete(vague)
  await reconcile(depsOf(h))
  assert.deepEqual(h.store.unknownInstances(), [])
  assert.deepEqual(h.store.snapshot().allocated, before.allocated)
})

test('a half-created VM rolled back at start is not counted as unknown, though the backend was listed before its destroy', async () => {
  const h = harness()
  const vm = await h.service.create(command('half'))
  h.store.update(vm.id, { status: 'creating' })
  const listedFirst = await h.driver.list(AbortSignal.timeout(5_000))
  const report = await reconcile({ ...depsOf(h), instances: Promise.resolve(listedFirst) })
  assert.deepEqual(report.rolledBack, [vm.id])
  assert.deepEqual(report.unknownInstances, [])
  assert.ok(!h.driver.instances.has(vm.instance), 'the half-created instance is destroyed')
  assert.deepEqual(h.store.snapshot().allocated, { cpu: 0, memory: 0, storage: 0 })
  assert.equal(h.store.snapshot().vmCount, 0)
})

test('an odd backend state marks the VM error with the state and what to do, keeping its port', async () => {
  const h = harness()
  const driver = new OddStateDriver()
  const created = await h.service.create(command('odd'))
  for (const [name, instance] of h.driver.instances) driver.instances.set(name, instance)
  driver.odd.add(created.instance)
  h.proxy.open.clear()
  const report = await reconcile(depsOf(h, driver))
  assert.deepEqual(report.restored, [created.id])
  const vm = h.store.get(created.id)
  assert.equal(vm?.status, 'error')
  assert.equal(vm.errorMessage, 'the backend reports the VM as Suspended; start or delete it')
  assert.deepEqual(h.proxy.open.get(created.id), { port: created.sshPort, target: null }, 'its SSH port is held, with no target')
})

test('one VM that cannot be restored is marked error; the VMs before and after it are restored', async () => {
  const h = harness()
  const first = await h.service.create(command('first'))
  const broken = await h.service.create(command('broken'))
  const last = await h.service.create(command('last'))
  await h.service.stop('last', anyone)
  h.proxy.open.clear()
  h.proxy.failPorts.add(broken.sshPort)
  const report = await reconcile(depsOf(h))
  assert.deepEqual(report.restored, [first.id, last.id])
  assert.deepEqual(report.failed, [broken.id])
  assert.equal(h.store.get(first.id)?.status, 'running')
  assert.equal(h.store.get(last.id)?.status, 'stopped')
  const failed = h.store.get(broken.id)
  assert.equal(failed?.status, 'error')
  assert.match(failed.errorMessage ?? '', new RegExp(`^could not be restored at start: .*${broken.sshPort}`))
  assert.ok(h.driver.instances.has(broken.instance), 'its instance is kept for the operator to start or delete')
})
