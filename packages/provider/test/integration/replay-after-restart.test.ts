/**
 * Issue 15, item 8, against the real daemon: a renter's signed DELETE,
 * captured on the wire and replayed after the provider restarted (cleanly or
 * killed), must not delete the VM the renter made again under the same name.
 * The nonces of the acceptance window are kept in the provider's database.
 */
import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { startDaemon, type Daemon } from '../helpers/daemon.js'
import { multipassWorld } from '../helpers/multipass-world.js'
import { renter, send } from '../helpers/renter.js'

const VM = { name: 'replayed', resources: { cpu: 1, memory: 1, storage: 10 } }

async function replayAfterRestart(t: TestContext, restart: (d: Daemon) => Promise<unknown>): Promise<void> {
  const w = await multipassWorld(t)
  const daemon = await startDaemon(t, { env: w.env })
  const key = `0x${'7'.repeat(64)}`
  const alice = renter(daemon, key)
  assert.equal((await alice.api('POST', '/api/v1/vms', { ...VM, ssh_key: w.key.publicKey })).status, 201)
  const captured = await alice.sign('DELETE', `/api/v1/vms/${VM.name}`)
  assert.equal((await send(daemon, captured)).status, 200, 'the original DELETE deletes')
  assert.equal((await alice.api('POST', '/api/v1/vms', { ...VM, ssh_key: w.key.publicKey })).status, 201, 'the renter makes the VM again')
  const replayedBefore = await send(daemon, captured)
  assert.equal(replayedBefore.status, 401, 'a replay before the restart is refused (as before)')
  await restart(daemon)
  const again = await startDaemon(t, { env: w.env })
  const replayed = await send(again, captured)
  assert.equal(replayed.status, 401, JSON.stringify(replayed.body))
  assert.match(JSON.stringify(replayed.body), /REPLAYED_SIGNATURE/)
  const vm = await renter(again, key).api('GET', `/api/v1/vms/${VM.name}`)
  assert.equal((vm.body as { status?: string }).status, 'running', 'the re-created VM is untouched')
  assert.equal((await renter(again, key).api('DELETE', `/api/v1/vms/${VM.name}`)).status, 200, 'fresh signatures still work')
}

test('a captured signed DELETE replayed after a clean restart is refused', async (t) => {
  await replayAfterRestart(t, (d) => d.stop())
})

test('a captured signed DELETE replayed after the provider was killed is refused', async (t) => {
  await replayAfterRestart(t, (d) => d.kill())
})
