import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildCloudInit } from '../domain/cloud-init.js'
import { DriverError } from '../drivers/driver.js'
import { BUILTIN_IMAGES } from '../domain/images.js'
import { FakeDriver } from '../drivers/fake/fake-driver.js'
import { observedDriver } from './observed-driver.js'
import type { BackendCalled } from './ports/telemetry.js'

const signal = () => AbortSignal.timeout(5000)

test('every call is reported with its duration and, when it fails, its code; results and errors pass through', async () => {
  const fake = new FakeDriver()
  const seen: BackendCalled[] = []
  const driver = observedDriver(fake, { backendCalled: (e) => seen.push(e) })
  assert.equal(driver.name, 'fake')
  const spec = {
    instance: 'golem-a-1',
    hostname: 'a',
    resources: { cpu: 1, memory: 1, storage: 10 },
    image: BUILTIN_IMAGES[0]!,
    cloudInit: buildCloudInit({ hostname: 'a', instanceId: 'golem-a-1', sshKey: 'ssh-ed25519 AAAA' }),
  }
  const running = await driver.launch(spec, signal())
  assert.equal(running.ipAddress, '10.0.0.2')
  await driver.stop('golem-a-1', signal())
  fake.failing.add('start')
  await assert.rejects(driver.start('golem-a-1', signal()), (e) => e instanceof DriverError && e.code === 'FAILED')
  assert.deepEqual((await driver.inspect('golem-a-1', signal())).kind, 'stopped')
  assert.deepEqual(
    seen.map((e) => [e.backend, e.command, e.code]),
    [
      ['fake', 'launch', null],
      ['fake', 'stop', null],
      ['fake', 'start', 'BACKEND_FAILED'],
      ['fake', 'inspect', null],
    ],
  )
  assert.ok(seen.every((e) => e.durationMs >= 0 && Number.isFinite(e.durationMs)))
})

test('an error that is not a DriverError is reported as INTERNAL and rethrown unchanged', async () => {
  const fake = new FakeDriver()
  const boom = new TypeError('bug')
  fake.list = () => Promise.reject(boom)
  const seen: BackendCalled[] = []
  const driver = observedDriver(fake, { backendCalled: (e) => seen.push(e) })
  await assert.rejects(driver.list(signal()), (e) => e === boom)
  assert.deepEqual(
    seen.map((e) => [e.command, e.code]),
    [['list', 'INTERNAL']],
  )
})
