/**
 * The real daemon as a process with the QEMU driver (software emulation):
 * a Debian guest with the real cloud-init takes the renter's key from the
 * seed the provider writes; `ssh` logs in through the proxy; stop, start,
 * a provider restart and delete behave; and failures leave nothing behind.
 */
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { isAlive } from '../../src/drivers/qemu/vm-process.js'
import { api, bootRequest, freePortRange, isListening, startDaemon, tempDir, type Daemon } from '../helpers/daemon.js'
import { sshKeyPair } from '../helpers/keys.js'
import { assertIssuedHostKey, sshRun } from '../helpers/ssh.js'
import { cleanUpVmHost, reapProcessesUnder, testGuestCatalog, testGuestImage } from '../helpers/test-guest.js'

/** Longest a create or start may take here: a boot under software emulation on a busy 2-core host, until cloud-init has finished. */
const BOOT_LIMIT_S = 540
// A request that may wait for a whole boot.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the type is the caller's claim about the response
const slowApi = <T>(base: string, method: string, path: string, body?: unknown) => bootRequest<T>(base, method, path, body, (BOOT_LIMIT_S + 30) * 1000)

interface World {
  readonly dataDir: string
  readonly env: Record<string, string>
  readonly range: { start: number; end: number }
  readonly key: { privateKeyPath: string; publicKey: string }
}

async function world(t: TestContext, catalog: string, extra: Record<string, string> = {}): Promise<World> {
  // Every QEMU a test started is ended and its VM network removed, even when the test failed half-way.
  const cleanUp = cleanUpVmHost(t)
  const dir = tempDir(t, 'golem-qemu-e2e-')
  const dataDir = join(dir, 'data')
  cleanUp(dataDir)
  const range = await freePortRange(4)
  const env = {
    GOLEM_PROVIDER_DATA_DIR: dataDir,
    GOLEM_PROVIDER_BACKEND: 'qemu',
    GOLEM_PROVIDER_QEMU_ACCEL: 'tcg',
    GOLEM_PROVIDER_IMAGE_CATALOG: catalog,
    GOLEM_PROVIDER_SKIP_PORT_VERIFICATION: 'true',
    GOLEM_PROVIDER_ALLOW_UNSIGNED_REQUESTS: 'true',
    GOLEM_PROVIDER_PORT_RANGE_START: String(range.start),
    GOLEM_PROVIDER_PORT_RANGE_END: String(range.end),
    GOLEM_PROVIDER_OFFER_CPU_CORES: '4',
    GOLEM_PROVIDER_OFFER_MEMORY_GB: '4',
    GOLEM_PROVIDER_OFFER_STORAGE_GB: '40',
    GOLEM_PROVIDER_CREATE_TIMEOUT: String(BOOT_LIMIT_S),
    GOLEM_PROVIDER_ALLOW_UNISOLATED_VMS: 'true',
    ...extra,
  }
  return { dataDir, env, range, key: sshKeyPair(dir) }
}

const vmFolders = (w: World) => (existsSync(join(w.dataDir, 'vms')) ? readdirSync(join(w.dataDir, 'vms')) : [])
const qemuPid = (w: World, instance: string) => Number(readFileSync(join(w.dataDir, 'vms', instance, 'qemu.pid'), 'utf8').trim())
const logged = (d: Daemon, msg: string) => d.logs.filter((l) => l.msg === msg)
const ssh = (w: World, port: number, user: string, command: string) => sshRun({ port, user, key: w.key.privateKeyPath, command, timeoutMs: 60_000 })

// Reports how long each step took (test diagnostics), since the previous call.
function stopwatch(t: TestContext): (what: string) => void {
  let last = performance.now()
  return (what) => {
    t.diagnostic(`${what}: ${((performance.now() - last) / 1000).toFixed(1)} s`)
    last = performance.now()
  }
}

interface Status {
  capacity: { allocated: Record<string, number> }
  vms: { count: number }
}
const status = async (d: Daemon) => (await api<Status>(d.baseUrl, 'GET', '/api/v1/provider/status')).body

// Checks that nothing of a VM is left: no process, no folder, no port, no record.
async function assertNothingLeft(w: World, d: Daemon, name: string, ports: number[], pids: number[]): Promise<void> {
  for (const pid of pids) assert.equal(await isAlive(pid), false, `qemu ${pid} still runs`)
  assert.deepEqual(vmFolders(w), [], 'no VM folder')
  for (const port of ports) assert.equal(await isListening(port), false, `port ${port} still listens`)
  assert.equal((await api(d.baseUrl, 'GET', `/api/v1/vms/${name}`)).status, 404)
  const s = await status(d)
  assert.equal(s.vms.count, 0)
  assert.deepEqual(s.capacity.allocated, { cpu: 0, memory: 0, storage: 0 })
}

test('a Debian guest with real cloud-init: ssh as the default user and root, stop, start, provider restart, delete', { timeout: 30 * 60_000 }, async (t) => {
  const w = await world(t, await testGuestCatalog())
  let daemon = await startDaemon(t, { env: w.env })
  const clock = stopwatch(t)
  const created = await slowApi<{ ssh_port: number; status: string }>(daemon.baseUrl, 'POST', '/api/v1/vms', {
    name: 'qemu-e2e',
    ssh_key: w.key.publicKey,
    resources: { cpu: 2, memory: 1, storage: 12 },
    image: 'debian-12-test',
  })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  clock('create (until SSH answers)')
  const port = created.body.ssh_port
  const instance = vmFolders(w)[0] ?? ''
  assert.ok(instance.startsWith('golem-qemu-e2e-'), instance)
  const firstPid = qemuPid(w, instance)
  const forward = (logged(daemon, 'qemu vm launched')[0]?.endpoint as { port: number }).port
  t.diagnostic(`launch phases (ms): ${JSON.stringify(logged(daemon, 'qemu vm launched')[0]?.phasesMs)}`)

  for (const user of ['ubuntu', 'root']) {
    clock('-')
    const who = await ssh(w, port, user, 'whoami; hostname; nproc; df -B1 --output=size / | tail -1')
    assert.equal(who.code, 0, who.stderr)
    const [name, host, cpus, rootBytes] = who.stdout.split('\n')
    assert.deepEqual([name, host, cpus], [user, 'qemu-e2e', '2'])
    const gib = Number(rootBytes) / 1024 ** 3
    assert.ok(gib > 11 && gib <= 12, `the root filesystem is about 12 GB (${gib.toFixed(2)} GiB)`)
    clock(`ssh as ${user}`)
  }
  // Real cloud-init installs the host key the provider issued (ssh_keys): a pinned ssh works, another key is refused.
  await assertIssuedHostKey({ baseUrl: daemon.baseUrl, name: 'qemu-e2e', port, user: 'ubuntu', key: w.key.privateKeyPath })

  const stopped = await slowApi<{ status: string }>(daemon.baseUrl, 'POST', '/api/v1/vms/qemu-e2e/stop')
  assert.equal(stopped.body.status, 'stopped', JSON.stringify(stopped.body))
  clock('stop (ACPI power-off)')
  assert.equal(await isAlive(firstPid), false, 'the qemu process exited')
  assert.equal(logged(daemon, 'qemu vm powered off').length, 1, 'a clean ACPI power-off, not a forced one')
  assert.match(readFileSync(join(w.dataDir, 'vms', instance, 'console.log'), 'utf8'), /reboot: Power down/)

  const started = await slowApi<{ status: string }>(daemon.baseUrl, 'POST', '/api/v1/vms/qemu-e2e/start')
  assert.equal(started.body.status, 'running', JSON.stringify(started.body))
  clock('start (until SSH answers)')
  assert.equal((await ssh(w, port, 'ubuntu', 'hostname')).stdout, 'qemu-e2e', 'ssh again on the same port')

  const runningPid = qemuPid(w, instance)
  assert.equal(await daemon.stop(), 0)
  assert.equal(await isAlive(runningPid), true, 'the VM outlives the provider')
  daemon = await startDaemon(t, { env: w.env })
  assert.equal(logged(daemon, 'vm restored').length, 1)
  const back = await ssh(w, port, 'root', 'echo back')
  assert.equal(back.stdout, 'back', back.stderr)
  clock('provider restart and ssh')

  const deleted = await api(daemon.baseUrl, 'DELETE', '/api/v1/vms/qemu-e2e')
  assert.equal(deleted.status, 200, JSON.stringify(deleted.body))
  clock('delete')
  await assertNothingLeft(w, daemon, 'qemu-e2e', [port, forward], [firstPid, runningPid])
})

// A catalogue with two broken variants of the tiny guest.
async function brokenCatalog(t: TestContext): Promise<string> {
  const { image } = await testGuestImage('tiny-test')
  const q = image.qemu!
  const entry = (name: string, sha256: string, append: string | undefined) => ({
    name,
    format: q.format,
    path: q.path,
    sha256,
    kernel: q.kernel,
    initrd: q.initrd,
    append,
    default_user: image.defaultUser,
    min_memory_mb: q.minMemoryMb,
  })
  const file = join(tempDir(t, 'golem-qemu-catalog-'), 'catalog.json')
  writeFileSync(
    file,
    JSON.stringify({
      images: [
        // No init and no root device: the kernel panics and SSH never comes up.
        entry('never-boots', q.sha256, 'rdinit=/nonexistent root=/dev/nonexistent console=ttyS0'),
        entry('corrupt', 'e'.repeat(64), q.append),
      ],
    }),
  )
  return file
}

test('a guest that never brings SSH up, and a corrupt base image, leave nothing behind', { timeout: 5 * 60_000 }, async (t) => {
  const w = await world(t, await brokenCatalog(t), { GOLEM_PROVIDER_CREATE_TIMEOUT: '20' })
  const daemon = await startDaemon(t, { env: w.env })

  const started = performance.now()
  const hung = await api<{ code: string; message: string }>(daemon.baseUrl, 'POST', '/api/v1/vms', {
    name: 'never-up',
    ssh_key: w.key.publicKey,
    image: 'never-boots',
    resources: { cpu: 1, memory: 1, storage: 10 },
  })
  const seconds = (performance.now() - started) / 1000
  assert.equal(hung.status, 504, JSON.stringify(hung.body))
  assert.equal(hung.body.code, 'BACKEND_TIMEOUT')
  assert.match(hung.body.message, /did not bring SSH up .*Kernel panic/s)
  assert.ok(seconds >= 19 && seconds < 60, `failed after its timeout (${seconds.toFixed(1)} s)`)
  await assertNothingLeft(w, daemon, 'never-up', [w.range.start], [])
  assert.deepEqual(reapProcessesUnder(w.dataDir), [], 'no qemu process left')

  const corrupt = await api<{ code: string; message: string }>(daemon.baseUrl, 'POST', '/api/v1/vms', {
    name: 'corrupt-vm',
    ssh_key: w.key.publicKey,
    image: 'corrupt',
    resources: { cpu: 1, memory: 1, storage: 10 },
  })
  assert.equal(corrupt.status, 502, JSON.stringify(corrupt.body))
  assert.match(corrupt.body.message, /checksum mismatch/)
  await assertNothingLeft(w, daemon, 'corrupt-vm', [w.range.start], [])
  assert.deepEqual(reapProcessesUnder(w.dataDir), [], 'no qemu process left')
})
