import assert from 'node:assert/strict'
import { test } from 'node:test'
import { anyone, command, harness } from '../../test/helpers/vm-service-harness.js'

test('VM_BUSY: a stop, start or delete while the VM is being created is refused and changes nothing', async () => {
  const h = harness()
  h.driver.hanging.add('launch')
  const creating = h.service.create(command('busy'))
  // The create checks what it must (payment, quotas) before it reserves; wait until it reached the driver's launch.
  for (let turn = 0; turn < 1_000 && !h.driver.calls.some((c) => c.method === 'launch'); turn++) await new Promise((resolve) => setImmediate(resolve))
  const vm = h.service.get('busy', anyone)
  assert.equal(vm.status, 'creating')
  for (const step of [() => h.service.stop('busy', anyone), () => h.service.start('busy', anyone), () => h.service.delete('busy', anyone)]) {
    await assert.rejects(
      step(),
      (e: unknown) => (e as { code?: string }).code === 'VM_BUSY' && /is creating; try again when that has finished/.test((e as Error).message),
    )
  }
  assert.equal(h.service.get('busy', anyone).status, 'creating', 'the refused calls changed nothing')
  await assert.rejects(creating, { code: 'BACKEND_TIMEOUT' })
})

test('VM_BUSY: a second stop while the first is under way is refused; after it, stop is a no-op and a start works', async () => {
  const h = harness()
  await h.service.create(command('twice'))
  h.driver.hanging.add('stop')
  const stopping = h.service.stop('twice', anyone)
  await assert.rejects(h.service.stop('twice', anyone), { code: 'VM_BUSY' })
  await assert.rejects(h.service.delete('twice', anyone), { code: 'VM_BUSY' })
  await assert.rejects(stopping, { code: 'BACKEND_TIMEOUT' })
  assert.equal(h.service.get('twice', anyone).status, 'error', 'a stop that timed out leaves the VM in error')
  h.driver.hanging.clear()
  assert.equal((await h.service.stop('twice', anyone)).status, 'stopped', 'stop from error works')
  assert.equal((await h.service.start('twice', anyone)).status, 'running')
})
