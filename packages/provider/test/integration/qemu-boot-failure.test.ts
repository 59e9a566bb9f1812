/**
 * The real daemon with the QEMU driver (software emulation) and the tiny
 * guest: a VM that dies while its guest boots fails the create at once, with
 * what its serial console said, instead of when the create's deadline runs
 * out; and nothing of it is left behind.
 */
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { api, startDaemon, tempDir, type Daemon } from '../helpers/daemon.js'
import { qemuUnavailable, qemuWorld, reapProcessesUnder, testGuestImage } from '../helpers/test-guest.js'

// Far longer than a failing boot takes: a create that fails only at its deadline outlasts `api`'s 120 s and the test fails.
const CREATE_TIMEOUT_S = '600'

// The tiny guest with a kernel command line of the test's choosing.
async function catalogWith(t: TestContext, name: string, append: string): Promise<string> {
  const { image } = await testGuestImage('tiny-test')
  const q = image.qemu!
  const file = join(tempDir(t, 'golem-qemu-catalog-'), 'catalog.json')
  writeFileSync(
    file,
    JSON.stringify({
      images: [
        {
          name,
          format: q.format,
          path: q.path,
          sha256: q.sha256,
          kernel: q.kernel,
          initrd: q.initrd,
          append,
          default_user: image.defaultUser,
          min_memory_mb: q.minMemoryMb,
        },
      ],
    }),
  )
  return file
}

interface Failure {
  code: string
  message: string
}
interface Status {
  capacity: { allocated: Record<string, number> }
  vms: { count: number }
}

async function assertNothingLeft(dataDir: string, daemon: Daemon): Promise<void> {
  const vms = join(dataDir, 'vms')
  assert.deepEqual(existsSync(vms) ? readdirSync(vms) : [], [], 'no VM folder')
  assert.deepEqual(reapProcessesUnder(dataDir), [], 'no qemu process')
  const status = (await api<Status>(daemon.baseUrl, 'GET', '/api/v1/provider/status')).body
  assert.equal(status.vms.count, 0, 'no record')
  assert.deepEqual(status.capacity.allocated, { cpu: 0, memory: 0, storage: 0 }, 'no reservation')
}

test(
  "a guest that powers off while booting fails the create at once with its console's last lines",
  { skip: qemuUnavailable(), timeout: 5 * 60_000 },
  async (t) => {
    // The tiny guest's initramfs powers off when its root device does not appear (about 10 s).
    const catalog = await catalogWith(t, 'no-root', 'root=/dev/vdz rw console=ttyS0')
    const { dataDir, env, key } = await qemuWorld(t, 'tiny-test', { GOLEM_PROVIDER_IMAGE_CATALOG: catalog, GOLEM_PROVIDER_CREATE_TIMEOUT: CREATE_TIMEOUT_S })
    const daemon = await startDaemon(t, { env })
    const res = await api<Failure>(daemon.baseUrl, 'POST', '/api/v1/vms', {
      name: 'no-root',
      ssh_key: key.publicKey,
      image: 'no-root',
      resources: { cpu: 1, memory: 1, storage: 10 },
    })
    assert.equal(res.status, 502, JSON.stringify(res.body))
    assert.equal(res.body.code, 'BACKEND_FAILED')
    assert.match(res.body.message, /the VM stopped while its guest was booting; last console lines:.*FATAL: root device \/dev\/vdz did not appear/s)
    await assertNothingLeft(dataDir, daemon)
  },
)

test('a QEMU process that dies while its guest boots fails the create at once', { skip: qemuUnavailable(), timeout: 5 * 60_000 }, async (t) => {
  // No init, no root device: the guest never brings SSH up, so only QEMU's death can end the create early.
  const catalog = await catalogWith(t, 'never-boots', 'rdinit=/nonexistent root=/dev/nonexistent console=ttyS0')
  const { dataDir, env, key } = await qemuWorld(t, 'tiny-test', { GOLEM_PROVIDER_IMAGE_CATALOG: catalog, GOLEM_PROVIDER_CREATE_TIMEOUT: CREATE_TIMEOUT_S })
  const daemon = await startDaemon(t, { env })
  const created = api<Failure>(daemon.baseUrl, 'POST', '/api/v1/vms', {
    name: 'killed',
    ssh_key: key.publicKey,
    image: 'never-boots',
    resources: { cpu: 1, memory: 1, storage: 10 },
  })
  // The use case waits for SSH once QEMU runs; the kernel's panic on the console shows the guest is mid-boot.
  const consoleSays = (): string => {
    const [instance] = existsSync(join(dataDir, 'vms')) ? readdirSync(join(dataDir, 'vms')) : []
    const log = instance === undefined ? '' : join(dataDir, 'vms', instance, 'console.log')
    return log !== '' && existsSync(log) ? readFileSync(log, 'latin1') : ''
  }
  for (let i = 0; i < 1200 && !consoleSays().includes('Kernel panic'); i++) await sleep(100)
  assert.match(consoleSays(), /Kernel panic/, 'the guest panicked within 120 s')
  const [instance = ''] = readdirSync(join(dataDir, 'vms'))
  process.kill(Number(readFileSync(join(dataDir, 'vms', instance, 'qemu.pid'), 'utf8').trim()), 'SIGKILL')
  const res = await created
  assert.equal(res.status, 502, JSON.stringify(res.body))
  assert.equal(res.body.code, 'BACKEND_FAILED')
  assert.match(res.body.message, /the VM stopped while its guest was booting; last console lines:.*Kernel panic/s)
  await assertNothingLeft(dataDir, daemon)
})
