/**
 * Issue 15, items 9 and 10, against the real daemon (fake `multipass`: a real
 * sshd per VM) in the transition mode that lets unsigned requests in:
 * - an unsigned caller listed every unsigned VM and every VM the operator made,
 *   and could stop or delete them; now it is listed nothing and never reaches
 *   an operator's VM;
 * - a VM name was global: another renter's name answered 409 (it exists, and
 *   it could be squatted); now each renter has its own names, and a second
 *   renter's "shared" is its own VM, untouched by the first.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { api, startDaemon, type Daemon } from '../helpers/daemon.js'
import { multipassWorld } from '../helpers/multipass-world.js'
import { renter } from '../helpers/renter.js'
import { sshRun } from '../helpers/ssh.js'

interface Vm {
  id: string
  name: string
  status: string
  ssh_port: number
}

async function operatorApi(daemon: Daemon, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` }
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(`${daemon.baseUrl}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(120_000),
  })
  return { status: res.status, body: await res.json() }
}

test('unsigned callers see no list and no operator VM; names are scoped per renter', { timeout: 240_000 }, async (t) => {
  const w = await multipassWorld(t, { GOLEM_PROVIDER_ALLOW_UNSIGNED_REQUESTS: 'true' })
  const daemon = await startDaemon(t, { env: w.env })
  const token = readFileSync(join(w.dataDir, 'admin-token'), 'utf8').trim()
  const create = (name: string) => ({ name, ssh_key: w.key.publicKey, resources: { cpu: 1, memory: 1, storage: 10 } })

  const ops = await operatorApi(daemon, token, 'POST', '/api/v1/vms', create('ops-vm'))
  assert.equal(ops.status, 201, JSON.stringify(ops.body))
  const legacy = await api<Vm>(daemon.baseUrl, 'POST', '/api/v1/vms', create('legacy-vm'))
  assert.equal(legacy.status, 201, JSON.stringify(legacy.body))

  // Item 9: the unsigned caller's attack — list everything, then stop and delete what it found.
  const listed = await api<Vm[]>(daemon.baseUrl, 'GET', '/api/v1/vms')
  assert.equal(listed.status, 200)
  assert.deepEqual(listed.body, [], 'an unsigned caller is listed nothing (before: ops-vm and legacy-vm)')
  for (const [method, path] of [
    ['GET', '/api/v1/vms/ops-vm'],
    ['GET', '/api/v1/vms/ops-vm/access'],
    ['POST', '/api/v1/vms/ops-vm/stop'],
    ['DELETE', '/api/v1/vms/ops-vm'],
  ] as const) {
    const res = await api<{ code: string }>(daemon.baseUrl, method, path)
    assert.equal(res.status, 404, `${method} ${path} unsigned`)
    assert.equal(res.body.code, 'VM_NOT_FOUND')
  }
  const opsNow = await operatorApi(daemon, token, 'GET', '/api/v1/vms/ops-vm')
  assert.equal((opsNow.body as Vm).status, 'running', "the operator's VM is untouched")
  const own = await api<Vm>(daemon.baseUrl, 'GET', '/api/v1/vms/legacy-vm')
  assert.equal(own.status, 200, 'an unsigned renter still reaches its VM by its name')

  // Item 10: another renter's name is no longer taken for you.
  const alice = renter(daemon)
  const bob = renter(daemon)
  const a = await alice.api('POST', '/api/v1/vms', create('shared'))
  assert.equal(a.status, 201, JSON.stringify(a.body))
  const b = await bob.api('POST', '/api/v1/vms', create('shared'))
  assert.equal(b.status, 201, `bob may use the name alice uses (before: 409 VM_NAME_TAKEN): ${JSON.stringify(b.body)}`)
  const aliceVm = a.body as Vm
  const bobVm = b.body as Vm
  assert.equal(bobVm.name, 'shared')
  assert.notEqual(aliceVm.ssh_port, bobVm.ssh_port, 'two VMs')
  const again = await alice.api('POST', '/api/v1/vms', create('shared'))
  assert.equal(again.status, 409, 'a renter still cannot have two VMs of one name')
  assert.equal((again.body as { code: string }).code, 'VM_NAME_TAKEN')
  const seen = await bob.api('GET', '/api/v1/vms/shared/access')
  assert.equal((seen.body as { ssh_port: number }).ssh_port, bobVm.ssh_port, 'bob reaches his own "shared"')
  assert.deepEqual(
    ((await alice.api('GET', '/api/v1/vms')).body as Vm[]).map((vm) => vm.ssh_port),
    [aliceVm.ssh_port],
  )

  const ambiguous = await operatorApi(daemon, token, 'GET', '/api/v1/vms/shared')
  assert.equal(ambiguous.status, 409)
  assert.equal((ambiguous.body as { code: string }).code, 'VM_NAME_AMBIGUOUS')

  const deleted = await bob.api('DELETE', '/api/v1/vms/shared')
  assert.equal(deleted.status, 200)
  const login = await sshRun({ port: aliceVm.ssh_port, user: 'ubuntu', key: w.key.privateKeyPath, command: 'hostname' })
  assert.equal(login.code, 0, login.stderr)
  assert.equal(login.stdout, 'shared', "alice's VM still runs after bob deleted his")
  assert.equal(((await alice.api('GET', '/api/v1/vms/shared')).body as Vm).status, 'running')
})
