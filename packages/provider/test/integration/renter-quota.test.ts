/**
 * Issue 15, item 19 (quotas), against the real daemon (fake `multipass`):
 * one renter used to be able to take every VM and core the provider offers;
 * with per-renter limits it is refused with RENTER_QUOTA_EXCEEDED (409), the
 * refusal leaves nothing behind, and another renter still gets a VM.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { api, startDaemon } from '../helpers/daemon.js'
import { multipassWorld } from '../helpers/multipass-world.js'
import { renter } from '../helpers/renter.js'

interface Status {
  capacity: { allocated: { cpu: number } }
  vms: { count: number }
}

test('one renter cannot take the whole provider: per-renter VM and CPU limits, a stable 409, nothing left behind', { timeout: 240_000 }, async (t) => {
  const w = await multipassWorld(t, { GOLEM_PROVIDER_RENTER_MAX_VMS: '2', GOLEM_PROVIDER_RENTER_MAX_CPU_CORES: '2' })
  const daemon = await startDaemon(t, { env: w.env })
  const vm = (name: string, cpu: number) => ({ name, ssh_key: w.key.publicKey, resources: { cpu, memory: 1, storage: 10 } })
  const status = async () => (await api<Status>(daemon.baseUrl, 'GET', '/api/v1/provider/status')).body
  const greedy = renter(daemon)

  assert.equal((await greedy.api('POST', '/api/v1/vms', vm('greedy-1', 1))).status, 201)
  const tooBig = await greedy.api('POST', '/api/v1/vms', vm('greedy-2', 2))
  assert.equal(tooBig.status, 409, 'the provider has 3 free cores, but this renter may hold 2')
  assert.equal((tooBig.body as { code: string }).code, 'RENTER_QUOTA_EXCEEDED')
  assert.match((tooBig.body as { message: string }).message, /at most 2 CPU cores .* ask for at most 1/)
  assert.equal((await greedy.api('POST', '/api/v1/vms', vm('greedy-2', 1))).status, 201)
  const third = await greedy.api('POST', '/api/v1/vms', vm('greedy-3', 1))
  assert.equal(third.status, 409)
  assert.equal((third.body as { code: string }).code, 'RENTER_QUOTA_EXCEEDED')
  assert.match((third.body as { message: string }).message, /at most 2 VMs/)
  const after = await status()
  assert.equal(after.vms.count, 2, 'the refusals reserved nothing')
  assert.equal(after.capacity.allocated.cpu, 2)

  const other = await renter(daemon).api('POST', '/api/v1/vms', vm('other-1', 1))
  assert.equal(other.status, 201, `another renter still gets a VM: ${JSON.stringify(other.body)}`)
  assert.equal((await greedy.api('DELETE', '/api/v1/vms/greedy-1')).status, 200)
  assert.equal((await greedy.api('POST', '/api/v1/vms', vm('greedy-3', 1))).status, 201, 'a deleted VM gives its share back')
})
