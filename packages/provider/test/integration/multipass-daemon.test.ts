/**
 * The real daemon as a process, with the fake `multipass` (a real sshd per
 * VM) first on PATH: create, log in with `ssh` through the proxy, restart,
 * log in again on the same port, delete; and faults at each step.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { connect, createServer } from 'node:net'
import { api, isListening, startDaemon, type Daemon } from '../helpers/daemon.js'
import { fakeControl as control, FAKE_MULTIPASS_DIR as FAKE_DIR, multipassWorld, type MultipassWorld as World } from '../helpers/multipass-world.js'
import { sshRun } from '../helpers/ssh.js'

// The original requestor's unsigned requests: the legacy mode is what these tests exercise.
const world = (t: TestContext, extra: Record<string, string> = {}) => multipassWorld(t, { GOLEM_PROVIDER_ALLOW_UNSIGNED_REQUESTS: 'true', ...extra })

const fakeList = (w: World) =>
  JSON.parse(
    execFileSync(join(FAKE_DIR, 'multipass'), ['list', '--format', 'json'], { env: { ...process.env, FAKE_MULTIPASS_STATE: w.fakeState } }).toString(),
  ) as { list: { name: string }[] }
const status = async (d: Daemon) =>
  (
    await api<{ capacity: { free: Record<string, number>; allocated: Record<string, number> }; vms: { count: number } }>(
      d.baseUrl,
      'GET',
      '/api/v1/provider/status',
    )
  ).body

test('create, ssh as ubuntu and root through the proxy, restart keeps the port, delete frees it', async (t) => {
  const w = await world(t)
  let daemon = await startDaemon(t, { env: w.env })
  const before = await status(daemon)
  const created = await api<{ ssh_port: number; status: string }>(daemon.baseUrl, 'POST', '/api/v1/vms', {
    name: 'web-1',
    ssh_key: w.key.publicKey,
    resources: { cpu: 2, memory: 2, storage: 20 },
  })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  const port = created.body.ssh_port
  assert.equal(port, w.range.start)
  const access = await api<{ ssh_port: number; ssh_host: string; vm_id: string }>(daemon.baseUrl, 'GET', '/api/v1/vms/web-1/access')
  assert.deepEqual([access.body.ssh_port, access.body.ssh_host, access.body.vm_id], [port, '127.0.0.1', 'web-1'])
  for (const user of ['ubuntu', 'root']) {
    const login = await sshRun({ port, user, key: w.key.privateKeyPath, command: 'hostname' })
    assert.equal(login.code, 0, login.stderr)
    assert.equal(login.stdout, 'web-1')
  }
  assert.equal(await daemon.stop(), 0)
  assert.equal(await isListening(port), false, 'the proxy stops with the provider')
  daemon = await startDaemon(t, { env: w.env })
  const again = await sshRun({ port, user: 'ubuntu', key: w.key.privateKeyPath, command: 'echo back' })
  assert.equal(again.stdout, 'back', again.stderr)
  const deleted = await api(daemon.baseUrl, 'DELETE', '/api/v1/vms/web-1')
  assert.equal(deleted.status, 200)
  assert.equal(await isListening(port), false)
  assert.deepEqual(fakeList(w).list, [])
  assert.deepEqual((await status(daemon)).capacity, before.capacity)
  const calls = readFileSync(join(w.fakeState, 'calls.log'), 'utf8')
  assert.doesNotMatch(calls, /"argv":\["purge"\]/, 'never a host-wide purge')
})

test('stop and start keep the port; a stopped VM refuses SSH', async (t) => {
  const w = await world(t)
  const daemon = await startDaemon(t, { env: w.env })
  const { body } = await api<{ ssh_port: number }>(daemon.baseUrl, 'POST', '/api/v1/vms', { name: 'cycle', ssh_key: w.key.publicKey })
  assert.equal((await api<{ status: string }>(daemon.baseUrl, 'POST', '/api/v1/vms/cycle/stop')).body.status, 'stopped')
  const refused = await sshRun({ port: body.ssh_port, user: 'ubuntu', key: w.key.privateKeyPath, command: 'true', timeoutMs: 20_000 })
  assert.notEqual(refused.code, 0)
  assert.equal((await api<{ status: string }>(daemon.baseUrl, 'POST', '/api/v1/vms/cycle/start')).body.status, 'running')
  const login = await sshRun({ port: body.ssh_port, user: 'ubuntu', key: w.key.privateKeyPath, command: 'hostname' })
  assert.equal(login.stdout, 'cycle', login.stderr)
})

test('a failure at each step of create leaves no VM, port, reservation or record', async (t) => {
  const w = await world(t, { GOLEM_PROVIDER_CREATE_TIMEOUT: '8' })
  const daemon = await startDaemon(t, { env: w.env })
  const before = await status(daemon)
  const faults: [string, Record<string, unknown>, number][] = [
    ['launch fails', { fail: ['launch'] }, 502],
    ['launch fails and leaves the instance', { fail: ['launch'], failLeavesInstance: true }, 502],
    ['launch hangs past the timeout', { hang: ['launch'] }, 504],
    ['the VM gets no address', { noIp: true }, 502],
    ['info fails after launch', { fail: ['info'] }, 502],
  ]
  for (const [name, fault, expected] of faults) {
    control(w, fault)
    const res = await api<{ code: string }>(daemon.baseUrl, 'POST', '/api/v1/vms', { name: 'doomed', ssh_key: w.key.publicKey })
    assert.equal(res.status, expected, `${name}: ${JSON.stringify(res.body)}`)
    control(w, {})
    assert.deepEqual(fakeList(w).list, [], `${name}: no instance left`)
    const after = await status(daemon)
    assert.deepEqual(after.capacity, before.capacity, `${name}: capacity restored`)
    assert.equal(after.vms.count, 0)
    assert.equal(await isListening(w.range.start), false, `${name}: no port left`)
  }
  const list = await api<unknown[]>(daemon.baseUrl, 'GET', '/api/v1/vms')
  assert.deepEqual(list.body, [])
})

test('the daemon killed mid-create rolls the half-created VM back at the next start', async (t) => {
  const w = await world(t)
  let daemon = await startDaemon(t, { env: w.env })
  const before = await status(daemon)
  control(w, { delayMs: { launch: 4000 } })
  const pending = api(daemon.baseUrl, 'POST', '/api/v1/vms', { name: 'half', ssh_key: w.key.publicKey }).catch(() => undefined)
  await launchBegun(w)
  await daemon.kill()
  await pending
  control(w, {})
  daemon = await startDaemon(t, { env: w.env })
  assert.ok(daemon.logs.some((l) => l.msg === 'half-finished operation rolled back: instance destroyed, record closed'))
  for (let i = 0; i < 60 && fakeList(w).list.length > 0; i++) await sleep(100)
  assert.deepEqual(fakeList(w).list, [])
  assert.deepEqual((await status(daemon)).capacity, before.capacity)
  assert.equal((await api(daemon.baseUrl, 'GET', '/api/v1/vms/half')).status, 404)
})

test('bad configuration stops the start with every problem listed', async (t) => {
  const w = await world(t)
  await assert.rejects(
    startDaemon(t, { env: { ...w.env, GOLEM_PROVIDER_PORT: 'abc', GOLEM_PROVIDER_OFFER_MEMORY_GB: '100000' } }),
    /GOLEM_PROVIDER_PORT: must be a whole number/,
  )
  await assert.rejects(startDaemon(t, { env: { ...w.env, GOLEM_PROVIDER_OFFER_MEMORY_GB: '100000' } }), /memory offer of 100000 GB exceeds/)
})

test('a graceful stop during a create undoes it before the provider exits', async (t) => {
  const w = await world(t)
  const daemon = await startDaemon(t, { env: w.env })
  control(w, { delayMs: { launch: 3000 } })
  const pending = api<{ code: string }>(daemon.baseUrl, 'POST', '/api/v1/vms', { name: 'interrupted', ssh_key: w.key.publicKey })
  await launchBegun(w)
  const code = await daemon.stop()
  const answer = await pending.catch((error: unknown) => ({ status: 0, body: { code: String(error) } }))
  assert.equal(code, 0)
  assert.equal(answer.body.code, 'SHUTTING_DOWN', JSON.stringify(answer))
  for (let i = 0; i < 50 && fakeList(w).list.length > 0; i++) await sleep(100)
  assert.deepEqual(fakeList(w).list, [], 'the half-created instance was removed before exit')
})

// Waits until the fake multipass lists the instance a create launches: the create has reached the backend's launch.
async function launchBegun(w: World): Promise<void> {
  for (let i = 0; i < 100 && fakeList(w).list.length === 0; i++) await sleep(100)
  assert.equal(fakeList(w).list.length, 1, 'the create reached the launch within 10 s')
}

// A stand-in for a service of the provider host on 127.0.0.1:22 (where a host's own sshd listens).
async function hostService(t: TestContext): Promise<boolean> {
  const server = createServer((socket) => socket.end('SSH-2.0-PROVIDER-HOST-SSHD\r\n'))
  const bound = await new Promise<boolean>((resolve) => server.once('error', () => resolve(false)).listen(22, '127.0.0.1', () => resolve(true)))
  if (bound) t.after(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return bound
}

const banner = (port: number) =>
  new Promise<string>((resolve) => {
    const socket = connect(port, '127.0.0.1')
    let text = ''
    socket.setTimeout(10_000, () => socket.destroy())
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString()
      if (text.includes('\n')) socket.destroy()
    })
    socket.on('close', () => resolve(text.trim())).on('error', () => undefined)
  })

test("the SSH forward goes only into Multipass's VM network, never to an address the guest lists first", async (t) => {
  const w = await world(t)
  const daemon = await startDaemon(t, { env: w.env })
  assert.ok(await hostService(t), '127.0.0.1:22 is free for the stand-in host service')
  // The guest reports the provider host's loopback address and a LAN address about itself, ahead of its own.
  control(w, { guestIpv4: ['127.0.0.1', '192.0.2.10'] })
  const created = await api<{ ssh_port: number }>(daemon.baseUrl, 'POST', '/api/v1/vms', { name: 'lister', ssh_key: w.key.publicKey })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  assert.match(await banner(created.body.ssh_port), /^SSH-2\.0-OpenSSH/, "the port leads to the VM's own sshd, not the host's")
  const login = await sshRun({ port: created.body.ssh_port, user: 'ubuntu', key: w.key.privateKeyPath, command: 'hostname' })
  assert.equal(login.stdout, 'lister', login.stderr)

  // Only addresses outside the VM network: refused, and nothing is left behind.
  const before = await status(daemon)
  control(w, { guestIpv4: ['127.0.0.1', '192.0.2.10'], noIp: true })
  const refused = await api<{ code: string; message: string }>(daemon.baseUrl, 'POST', '/api/v1/vms', { name: 'outsider', ssh_key: w.key.publicKey })
  assert.equal(refused.status, 502, JSON.stringify(refused.body))
  assert.match(refused.body.message, /none of its addresses \(127\.0\.0\.1, 192\.0\.2\.10\) is a VM address in Multipass's network 127\.0\.0\.0\/8/)
  control(w, {})
  assert.deepEqual(
    fakeList(w)
      .list.map((vm) => vm.name)
      .filter((name) => name.includes('outsider')),
    [],
  )
  assert.deepEqual((await status(daemon)).capacity, before.capacity)
})
