import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ProviderError } from '../domain/errors.js'
import type { GuestPort } from '../domain/port-mappings.js'
import type { Caller } from './vm-service.js'
import { anyone, assertNothingLeft, command, harness, type Harness } from '../../test/helpers/vm-service-harness.js'

const tcp = (guest: number): GuestPort => ({ guest, protocol: 'tcp' })
const udp = (guest: number): GuestPort => ({ guest, protocol: 'udp' })
const alice: Caller = { kind: 'renter', address: '0x00000000000000000000000000000000000a11ce' }
const bob: Caller = { kind: 'renter', address: '0x0000000000000000000000000000000000000b0b' }
const code = (expected: string) => (e: unknown) => e instanceof ProviderError && e.code === expected

// Every public port held by a record or an open listener, so a test can see that nothing leaked.
const openPorts = (h: Harness): number[] => [...h.proxy.open.values()].map((l) => l.port).sort()

test('create maps the asked ports on verified public ports after the SSH port, each relayed to its guest port', async () => {
  const h = harness()
  const vm = await h.service.create(command('web', anyone, { ports: [tcp(8080), udp(27015)] }))
  assert.equal(vm.sshPort, 50800)
  assert.deepEqual(vm.ports, [
    { guest: 8080, protocol: 'tcp', publicPort: 50801 },
    { guest: 27015, protocol: 'udp', publicPort: 50802 },
  ])
  assert.deepEqual(h.proxy.open.get(`${vm.id}#50801`), { port: 50801, target: { host: '127.0.0.1', port: 8080 } })
  assert.deepEqual(h.proxy.open.get(`${vm.id}#50802`), { port: 50802, target: { host: '127.0.0.1', port: 27015 } })
  assert.deepEqual([...h.store.snapshot().usedPorts].sort(), [50800, 50801, 50802])
})

test('bad port requests are refused before anything is reserved or launched', async () => {
  const h = harness()
  await assert.rejects(h.service.create(command('a', anyone, { ports: [tcp(22)] })), code('PORT_RESERVED'))
  await assert.rejects(h.service.create(command('a', anyone, { ports: [tcp(80), tcp(80)] })), code('PORT_DUPLICATE'))
  await assert.rejects(h.service.create(command('a', anyone, { ports: [tcp(1), tcp(2), tcp(3), tcp(4)] })), code('TOO_MANY_PORTS'))
  assertNothingLeft(h)
  assert.equal(h.driver.calls.length, 0, 'the backend was never called')
})

test('a create that needs more public ports than are free is refused with 409 NO_FREE_PORT before launch', async () => {
  const h = harness({ usablePorts: [50800, 50801, 50802] })
  await assert.rejects(h.service.create(command('big', anyone, { ports: [tcp(80), tcp(443), tcp(8080)] })), code('NO_FREE_PORT'))
  assertNothingLeft(h)
  assert.equal(h.driver.calls.length, 0)
  const fits = await h.service.create(command('fits', anyone, { ports: [tcp(80), tcp(443)] }))
  assert.deepEqual(
    fits.ports.map((p) => p.publicPort),
    [50801, 50802],
  )
})

test('a failure half-way through create releases every port and reservation', async (t) => {
  const steps: [string, (h: Harness) => void][] = [
    ['the second mapping cannot be bound', (h) => h.proxy.failPorts.add(50802)],
    ['the backend cannot say where a guest port is', (h) => h.driver.failing.add('guestPortTarget')],
  ]
  for (const [name, inject] of steps) {
    await t.test(name, async () => {
      const h = harness()
      inject(h)
      await assert.rejects(
        h.service.create(command('doomed', anyone, { ports: [tcp(80), tcp(443)] })),
        (e: unknown) => e instanceof ProviderError && e.code !== 'INTERNAL',
      )
      assertNothingLeft(h)
      assert.deepEqual([...h.store.snapshot().usedPorts], [])
    })
  }
})

test('ports added to a running VM are open at once; stop points them at nothing, start at the guest again; delete frees them', async () => {
  const h = harness()
  const { id } = await h.service.create(command('game', alice))
  const added = await h.service.addPorts('game', alice, [udp(27015), tcp(8080)])
  assert.deepEqual(added.ports, [
    { guest: 27015, protocol: 'udp', publicPort: 50801 },
    { guest: 8080, protocol: 'tcp', publicPort: 50802 },
  ])
  assert.deepEqual(h.proxy.open.get(`${id}#50801`)?.target, { host: '127.0.0.1', port: 27015 })
  await h.service.stop('game', alice)
  assert.equal(h.proxy.open.get(`${id}#50802`)?.target, null)
  const whileStopped = await h.service.addPorts('game', alice, [tcp(9000)])
  assert.equal(h.proxy.open.get(`${id}#50803`)?.target, null, 'a port added to a stopped VM waits for it')
  const started = await h.service.start('game', alice)
  assert.deepEqual(started.ports, whileStopped.ports, 'the same public ports across stop and start')
  assert.deepEqual(h.proxy.open.get(`${id}#50803`)?.target, { host: '127.0.0.1', port: 9000 })
  await h.service.delete('game', alice)
  assertNothingLeft(h)
  assert.deepEqual(openPorts(h), [])
})

test('only the owner adds or removes ports; checks and unknown ports have their codes', async () => {
  const h = harness()
  const { id } = await h.service.create(command('mine', alice, { ports: [tcp(80)] }))
  await assert.rejects(h.service.addPorts('mine', bob, [tcp(81)]), code('VM_NOT_FOUND'))
  await assert.rejects(h.service.removePort('mine', bob, 50801), code('VM_NOT_FOUND'))
  await assert.rejects(h.service.addPorts('mine', alice, [tcp(80)]), code('PORT_DUPLICATE'))
  await assert.rejects(h.service.addPorts('mine', alice, [tcp(1), tcp(2), tcp(3)]), code('TOO_MANY_PORTS'))
  await assert.rejects(h.service.removePort('mine', alice, 50800), code('PORT_NOT_FOUND'), 'the SSH port is not a mapping')
  const after = await h.service.removePort('mine', alice, 50801)
  assert.deepEqual(after.ports, [])
  assert.equal(h.proxy.open.has(`${id}#50801`), false)
  assert.deepEqual([...h.store.snapshot().usedPorts], [50800])
  const again = await h.service.addPorts('mine', { kind: 'operator' }, [tcp(80)])
  assert.equal(again.ports[0]?.publicPort, 50801, 'the freed port is handed out again')
})

test('an added port that cannot be bound is released again and nothing else changes', async () => {
  const h = harness()
  const { id } = await h.service.create(command('vm', anyone, { ports: [tcp(80)] }))
  h.proxy.failPorts.add(50803)
  await assert.rejects(h.service.addPorts('vm', anyone, [tcp(81), tcp(82)]), code('PORT_UNAVAILABLE'))
  assert.deepEqual(h.store.get(id)?.ports, [{ guest: 80, protocol: 'tcp', publicPort: 50801 }])
  assert.deepEqual(openPorts(h), [50800, 50801])
  assert.deepEqual([...h.store.snapshot().usedPorts].sort(), [50800, 50801])
})

test('100 concurrent port additions never give one public port to two mappings', async () => {
  const h = harness({ usablePorts: Array.from({ length: 40 }, (_, i) => 50800 + i), maxVms: 10 })
  for (const name of ['vm-a', 'vm-b', 'vm-c', 'vm-d']) await h.service.create(command(name, anyone))
  const results = await Promise.allSettled(
    Array.from({ length: 100 }, (_, i) => h.service.addPorts(['vm-a', 'vm-b', 'vm-c', 'vm-d'][i % 4] as string, anyone, [tcp(1000 + i)])),
  )
  const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as ProviderError] : []))
  assert.ok(
    refused.every((e) => e.code === 'TOO_MANY_PORTS' || e.code === 'NO_FREE_PORT'),
    refused.map((e) => e.code).join(),
  )
  const mapped = h.store.list().flatMap((vm) => vm.ports.map((p) => p.publicPort))
  const all = [...mapped, ...h.store.list().map((vm) => vm.sshPort)]
  assert.equal(new Set(all).size, all.length, 'no public port is held twice')
  assert.equal(mapped.length, 12, 'each VM got its 3 ports; every other addition was refused')
  assert.equal(results.length - refused.length, 12)
  assert.deepEqual(openPorts(h), [...all].sort())
})
