/**
 * The driver contract suite: what every VM backend promises (see
 * `src/drivers/driver.ts`), checked against a real backend. Each driver's
 * contract test calls `runDriverContract` with a factory; skips state a reason.
 *
 * @module
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { VmResources } from '@golem-vm/protocol'
import { buildCloudInit } from '../../src/domain/cloud-init.js'
import type { ImageEntry } from '../../src/domain/images.js'
import { instanceName } from '../../src/domain/vm.js'
import type { LaunchSpec, VmDriver } from '../../src/drivers/driver.js'
import { waitForSsh } from '../../src/infra/ssh-probe/ssh-probe.js'

export interface ContractSubject {
  readonly driver: VmDriver
  readonly image: ImageEntry
  readonly resources: VmResources
  readonly sshKey: string
  /** Generous deadline for launch/start (software emulation is slow). */
  readonly bootTimeoutMs: number
  /** Tears the backend down after the suite. */
  readonly cleanup: () => Promise<void>
}

export function runDriverContract(name: string, make: () => Promise<ContractSubject>): void {
  describe(`driver contract: ${name}`, { concurrency: false }, () => {
    let s: ContractSubject
    let spec: LaunchSpec
    const signal = () => AbortSignal.timeout(s.bootTimeoutMs)
    before(async () => {
      s = await make()
      const instance = instanceName(`contract-${Math.floor(Math.random() * 1e6)}`, new Date())
      spec = {
        instance,
        hostname: 'contract-vm',
        resources: s.resources,
        image: s.image,
        cloudInit: buildCloudInit({ hostname: 'contract-vm', instanceId: instance, sshKey: s.sshKey }),
      }
    })
    after(async () => {
      await s.driver.destroy(spec.instance, AbortSignal.timeout(60_000)).catch(() => undefined)
      await s.cleanup()
    })

    test('probe names the backend', async () => {
      const info = await s.driver.probe(signal())
      assert.equal(info.name, s.driver.name)
      assert.ok(info.version.length > 0)
    })

    test('an unknown instance is absent, and destroying it succeeds', async () => {
      assert.deepEqual(await s.driver.inspect('golem-never-created-20000101-000000', signal()), { kind: 'absent' })
      await s.driver.destroy('golem-never-created-20000101-000000', signal())
    })

    test('launch resolves with an endpoint whose SSH server answers; inspect and list agree', async () => {
      const running = await s.driver.launch(spec, signal())
      await waitForSsh(running.endpoint, signal())
      const state = await s.driver.inspect(spec.instance, signal())
      assert.equal(state.kind, 'running')
      const listed = await s.driver.list(signal())
      assert.deepEqual(
        listed.find((i) => i.instance === spec.instance),
        { instance: spec.instance, state: 'running' },
      )
      assert.ok(listed.every((i) => i.instance.startsWith('golem-')))
    })

    test('stop powers off; stopping again is a no-op', async () => {
      await s.driver.stop(spec.instance, signal())
      assert.equal((await s.driver.inspect(spec.instance, signal())).kind, 'stopped')
      await s.driver.stop(spec.instance, signal())
      assert.equal((await s.driver.inspect(spec.instance, signal())).kind, 'stopped')
    })

    test('start boots the same instance again; starting a running one is a no-op', async () => {
      const running = await s.driver.start(spec.instance, signal())
      await waitForSsh(running.endpoint, signal())
      const again = await s.driver.start(spec.instance, signal())
      assert.deepEqual(again.endpoint, running.endpoint)
    })

    test('destroy removes the instance; destroying again succeeds', async () => {
      await s.driver.destroy(spec.instance, signal())
      assert.deepEqual(await s.driver.inspect(spec.instance, signal()), { kind: 'absent' })
      assert.equal(
        (await s.driver.list(signal())).some((i) => i.instance === spec.instance),
        false,
      )
      await s.driver.destroy(spec.instance, signal())
    })
  })
}
