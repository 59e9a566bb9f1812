/**
 * The test guests (`scripts/test-guest/build.sh`): built once per test
 * process (the script caches its images across runs), then read from the
 * catalogue file it prints as its last line.
 *
 * @module
 */

import { execFile, spawnSync } from 'node:child_process'
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { uninstallVmNetwork } from '../../src/app/isolated-network.js'
import type { ImageEntry } from '../../src/domain/images.js'
import { planVmNetwork } from '../../src/domain/vm-network.js'
import { LinuxNetworkDevices } from '../../src/infra/network/linux-network-devices.js'
import { parseImageCatalog } from '../../src/infra/images/catalog-file.js'
import { freePortRange, REPO_ROOT, tempDir } from './daemon.js'
import { sshKeyPair } from './keys.js'

export type GuestName = 'tiny-test' | 'debian-12-test'

const builds = new Map<string, Promise<string>>()

/**
 * Builds (or reuses) the guests and resolves with the catalogue's path.
 * `only` builds just one of them (the tiny one takes seconds; the Debian one
 * a few minutes on a cold cache). `GOLEM_TEST_GUEST_CATALOG=<catalog.json>`
 * uses an already built catalogue instead of running the script.
 */
export function testGuestCatalog(only?: GuestName): Promise<string> {
  const prebuilt = process.env.GOLEM_TEST_GUEST_CATALOG
  if (prebuilt !== undefined && prebuilt !== '') return Promise.resolve(prebuilt)
  const key = only ?? 'all'
  let build = builds.get(key)
  if (build === undefined) {
    build = new Promise((resolve, reject) => {
      const args = [join(REPO_ROOT, 'scripts/test-guest/build.sh'), ...(only === undefined ? [] : ['--only', only === 'tiny-test' ? 'tiny' : only])]
      execFile('bash', args, { timeout: 20 * 60_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
        const last = stdout.trim().split('\n').at(-1) ?? ''
        if (error !== null || !last.endsWith('.json'))
          reject(new Error(`build.sh failed: ${error?.message ?? 'no catalogue path printed'}\n${stderr.slice(-3000)}`))
        else resolve(last)
      })
    })
    builds.set(key, build)
  }
  return build
}

/** The catalogue entry of one guest. */
export async function testGuestImage(name: GuestName): Promise<{ catalog: string; image: ImageEntry }> {
  const catalog = await testGuestCatalog(name)
  const parsed = parseImageCatalog(readFileSync(catalog, 'utf8'), catalog)
  if (!parsed.ok) throw new Error(`${catalog}: ${parsed.problems.join('; ')}`)
  const image = parsed.images.find((i) => i.name === name)
  if (image === undefined) throw new Error(`${catalog} does not list ${name}`)
  return { catalog, image }
}

/**
 * Kills (SIGKILL) every process whose working directory lies under `root`:
 * the QEMU processes of a test's VMs, even when the test failed half-way or
 * its folders are already gone.
 */
export function reapProcessesUnder(root: string): number[] {
  const killed: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue
    let cwd: string
    try {
      cwd = readlinkSync(`/proc/${name}/cwd`)
    } catch {
      continue
    }
    if (cwd !== root && !cwd.startsWith(`${root}/`)) continue
    try {
      process.kill(Number(name), 'SIGKILL')
      killed.push(Number(name))
    } catch {
      // Already gone.
    }
  }
  return killed
}

/**
 * After the test, whatever happened: ends every QEMU under the data dir the
 * returned function is given, then removes the VM network a provider with
 * that data dir made on the host (bridge, TAPs, nftables tables, sysctls).
 * Call it before `tempDir` (hooks run in the order they were registered:
 * the network's state file lives in the data dir).
 */
export function cleanUpVmHost(t: TestContext): (dataDir: string) => void {
  let dataDir: string | undefined
  t.after(async () => {
    if (dataDir === undefined) return
    reapProcessesUnder(dataDir)
    if (process.getuid?.() !== 0) return
    await uninstallVmNetwork(planVmNetwork({ dataDir, dns: [] }), new LinuxNetworkDevices(dataDir)).catch(() => undefined)
  })
  return (dir) => {
    dataDir = dir
  }
}

/** A throw-away QEMU provider: data dir, environment for `startDaemon`, a renter key pair. */
/** Why the QEMU tests cannot run here (the reason a skip states), or false when they can: they need qemu-system-x86_64 and qemu-img. */
export function qemuUnavailable(): string | false {
  const missing = ['qemu-system-x86_64', 'qemu-img'].filter((tool) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).error !== undefined)
  return missing.length === 0 ? false : `needs ${missing.join(' and ')} (Debian: qemu-system-x86 qemu-utils)`
}

export interface QemuWorld {
  readonly dataDir: string
  readonly env: Record<string, string>
  readonly key: { readonly privateKeyPath: string; readonly publicKey: string }
}

/**
 * The environment of a QEMU provider (TCG, unsigned requests, room for one
 * small VM) that boots `guest`, on two free ports; every QEMU it starts is
 * ended after the test, even one that failed half-way.
 */
export async function qemuWorld(t: TestContext, guest: GuestName, extra: Record<string, string> = {}): Promise<QemuWorld> {
  const cleanUp = cleanUpVmHost(t)
  const dir = tempDir(t, `golem-${guest}-`)
  const dataDir = join(dir, 'data')
  cleanUp(dataDir)
  const range = await freePortRange(2)
  const env = {
    GOLEM_PROVIDER_DATA_DIR: dataDir,
    GOLEM_PROVIDER_BACKEND: 'qemu',
    GOLEM_PROVIDER_QEMU_ACCEL: 'tcg',
    GOLEM_PROVIDER_IMAGE_CATALOG: await testGuestCatalog(guest),
    GOLEM_PROVIDER_ALLOW_UNSIGNED_REQUESTS: 'true',
    GOLEM_PROVIDER_PORT_RANGE_START: String(range.start),
    GOLEM_PROVIDER_PORT_RANGE_END: String(range.end),
    GOLEM_PROVIDER_OFFER_CPU_CORES: '2',
    GOLEM_PROVIDER_OFFER_MEMORY_GB: '2',
    GOLEM_PROVIDER_OFFER_STORAGE_GB: '20',
    // Isolated where the host allows it (root); elsewhere the test still runs, unisolated.
    GOLEM_PROVIDER_ALLOW_UNISOLATED_VMS: 'true',
    ...extra,
  }
  return { dataDir, env, key: sshKeyPair(dir) }
}
