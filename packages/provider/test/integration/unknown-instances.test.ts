/**
 * Issue 15, item 17, against the real daemon (fake `multipass`): a provider
 * whose database is lost used to offer its whole capacity again while the
 * lost VMs still ran. A `golem-*` instance without a record now counts against
 * capacity with what `multipass info` says it holds, the status lists it, and
 * a create that needs what it holds is refused.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { test } from 'node:test'
import { api, FAKE_MULTIPASS_DIR, startDaemon } from '../helpers/daemon.js'
import { multipassWorld } from '../helpers/multipass-world.js'

interface Status {
  capacity: { total: { cpu: number; memory: number; storage: number }; allocated: { cpu: number; memory: number; storage: number } }
  vms: { count: number; can_create: number; unknown?: { instance: string; cpu: number; memory: number; storage: number }[] }
}

test(
  'an instance without a record (a fresh data dir) counts as allocated and is listed; a create of the full offer is refused',
  { timeout: 240_000 },
  async (t) => {
    const w = await multipassWorld(t, { GOLEM_PROVIDER_ALLOW_UNSIGNED_REQUESTS: 'true' })
    const orphan = `golem-orphan-${process.pid}`
    // The VM a provider created before its database was lost: 2 cores, 2 GiB, a 20 GiB disk.
    execFileSync(join(FAKE_MULTIPASS_DIR, 'multipass'), ['launch', '24.04', '--name', orphan, '--cpus', '2', '--memory', '2G', '--disk', '20G'], {
      env: { ...process.env, ...w.env },
      stdio: 'ignore',
    })
    const daemon = await startDaemon(t, { env: w.env })
    const status = (await api<Status>(daemon.baseUrl, 'GET', '/api/v1/provider/status')).body

    assert.deepEqual(status.capacity.total, { cpu: 4, memory: 8, storage: 60 })
    // The fake reports what real Multipass does: 2 cores, memory and the disk's filesystem a little under their sizes (rounded up to GB).
    assert.deepEqual(status.vms.unknown, [{ instance: orphan, cpu: 2, memory: 2, storage: 19 }])
    assert.deepEqual(status.capacity.allocated, { cpu: 2, memory: 2, storage: 19 })
    assert.equal(status.vms.count, 1, 'the unknown instance counts against the VM limit')

    const full = { name: 'whole-offer', ssh_key: w.key.publicKey, resources: { cpu: 4, memory: 8, storage: 60 } }
    const refused = await api<{ code: string; message: string }>(daemon.baseUrl, 'POST', '/api/v1/vms', full)
    assert.equal(refused.status, 409, JSON.stringify(refused.body))
    assert.equal(refused.body.code, 'INSUFFICIENT_RESOURCES')
    const fits = { name: 'what-is-left', ssh_key: w.key.publicKey, resources: { cpu: 2, memory: 4, storage: 40 } }
    const created = await api(daemon.baseUrl, 'POST', '/api/v1/vms', fits)
    assert.equal(created.status, 201, `what the orphan leaves is still offered: ${JSON.stringify(created.body)}`)
    const after = (await api<Status>(daemon.baseUrl, 'GET', '/api/v1/provider/status')).body
    assert.deepEqual(after.capacity.allocated, { cpu: 4, memory: 6, storage: 59 })
    assert.equal(after.vms.can_create, 0, 'no core is left')
  },
)
