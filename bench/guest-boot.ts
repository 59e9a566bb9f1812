/**
 * 7. Guest boot with the QEMU driver (software emulation, TCG) and the test
 * guest `tiny-test` (scripts/test-guest/build.sh): time from POST /api/v1/vms
 * to the first successful `ssh` login through the proxy, split into the
 * provider's phases (image, disk, seed, launch, boot from the driver's
 * "qemu vm launched" line; launch and SSH ready from "vm created").
 * Reported without a target. Skipped, with the reason, when QEMU, the test
 * guest or the QEMU backend is not available here.
 */
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { createWorld, REPO_ROOT, SMALL_VM, startDaemon, type Daemon } from './lib/daemon.js'
import { httpJson } from './lib/http.js'
import { runCommand, sleep } from './lib/proc.js'
import { Skip, type BenchContext, type Benchmark } from './lib/report.js'
import { sshRun } from './lib/ssh.js'

const IMAGE = 'tiny-test'
const BOOT_LIMIT_S = 240
const BUILD_SCRIPT = join(REPO_ROOT, 'scripts/test-guest/build.sh')

/** A catalogue that lists the tiny guest with all its files present, or undefined. */
function usableCatalog(path: string): string | undefined {
  try {
    const images = (JSON.parse(readFileSync(path, 'utf8')) as { images?: { name?: string; path?: string; kernel?: string; initrd?: string }[] }).images ?? []
    const tiny = images.find((i) => i.name === IMAGE)
    if (tiny === undefined) return undefined
    return [tiny.path, tiny.kernel, tiny.initrd].every((f) => f === undefined || existsSync(f)) ? path : undefined
  } catch {
    return undefined
  }
}

/**
 * The catalogue of an already built tiny guest; never builds one (that may
 * download packages and take minutes): the one build.sh keeps for its current
 * content (<cache>/<key>/catalog.json), else the newest earlier build in the cache.
 */
async function catalogPath(ctx: BenchContext): Promise<string> {
  const prebuilt = process.env.GOLEM_TEST_GUEST_CATALOG
  if (prebuilt !== undefined && prebuilt !== '') return prebuilt
  if (!existsSync(BUILD_SCRIPT)) throw new Skip('scripts/test-guest/build.sh is missing')
  const key = createHash('sha256').update(readFileSync(BUILD_SCRIPT)).digest('hex').slice(0, 16)
  const cache = process.env.GOLEM_TEST_GUEST_CACHE ?? join(REPO_ROOT, '.cache/test-guest')
  const current = join(cache, key, 'catalog.json')
  if (existsSync(current) && usableCatalog(current) !== undefined) return current
  const earlier = (existsSync(cache) ? readdirSync(cache) : [])
    .map((dir) => join(cache, dir, 'catalog.json'))
    .filter((path) => existsSync(path) && usableCatalog(path) !== undefined)
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0]
  if (earlier === undefined) {
    throw new Skip(
      `the test guest is not built (no ${join(cache, key, IMAGE)}); run \`bash scripts/test-guest/build.sh --only tiny\` first (root), or set GOLEM_TEST_GUEST_CATALOG`,
    )
  }
  ctx.note(`the tiny guest of the current build.sh (cache key ${key}) is not built; using the earlier build ${earlier}`)
  return earlier
}

/** SIGKILLs every process whose working directory is under `root` (the VMs' QEMUs), whatever state the run ended in. */
function reapUnder(root: string): void {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue
    try {
      const cwd = readlinkSync(`/proc/${name}/cwd`)
      if (cwd === root || cwd.startsWith(`${root}/`)) process.kill(Number(name), 'SIGKILL')
    } catch {
      // gone or not ours to read
    }
  }
}

async function firstLogin(key: string, port: number, deadline: number): Promise<number> {
  let attempts = 0
  while (performance.now() < deadline) {
    attempts++
    const login = await sshRun({ key, port, command: 'true', timeoutMs: 20_000 })
    if (login.code === 0) return attempts
    await sleep(200)
  }
  throw new Error(`no ssh login within ${BOOT_LIMIT_S} s`)
}

async function run(ctx: BenchContext): Promise<void> {
  const { scope } = ctx
  const qemu = await runCommand('qemu-system-x86_64', ['--version'], { timeoutMs: 10_000 })
  if (qemu.code !== 0) throw new Skip('qemu-system-x86_64 is not installed')
  const catalog = await catalogPath(ctx)
  const world = await createWorld(scope, 'golem-bench-qemu-')
  scope.defer('reap the QEMU processes', () => reapUnder(world.dataDir))
  let daemon: Daemon
  try {
    daemon = await startDaemon(scope, world, {
      logLevel: 'info',
      env: {
        GOLEM_PROVIDER_BACKEND: 'qemu',
        GOLEM_PROVIDER_QEMU_ACCEL: 'tcg',
        GOLEM_PROVIDER_IMAGE_CATALOG: catalog,
        GOLEM_PROVIDER_CREATE_TIMEOUT: String(BOOT_LIMIT_S),
        GOLEM_PROVIDER_OFFER_MEMORY_GB: '4',
      },
    })
  } catch (error) {
    throw new Skip(
      `the daemon does not start with the QEMU backend: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]?.slice(0, 300) ?? ''}`,
    )
  }
  scope.defer('delete the VM', () => httpJson(daemon.baseUrl, 'DELETE', '/api/v1/vms/boot-1', undefined, { agent: false, timeoutMs: 90_000 }))
  ctx.progress(`POST /api/v1/vms with image ${IMAGE} (TCG)`)
  const started = performance.now()
  const created = await httpJson<{ ssh_port: number }>(
    daemon.baseUrl,
    'POST',
    '/api/v1/vms',
    { name: 'boot-1', ssh_key: world.key.publicKey, resources: SMALL_VM, image: IMAGE },
    { agent: false, timeoutMs: (BOOT_LIMIT_S + 20) * 1000 },
  )
  const answered = performance.now() - started
  if (created.status !== 201) throw new Error(`create with ${IMAGE}: ${created.status} ${JSON.stringify(created.body)}`)
  const attempts = await firstLogin(world.key.privateKeyPath, created.body.ssh_port, started + BOOT_LIMIT_S * 1000)
  const loggedIn = performance.now() - started
  const vmCreated = daemon.logs.find((l) => l.msg === 'vm created')?.phasesMs as Record<string, number> | undefined
  const launched = daemon.logs.find((l) => l.msg === 'qemu vm launched')?.phasesMs as Record<string, number> | undefined

  ctx.figure({ name: 'POST to first ssh login', value: loggedIn / 1000, unit: 's', reference: { label: 'POST answered', value: answered / 1000 }, ratio: null })
  for (const [phase, ms] of Object.entries(launched ?? {})) ctx.figure({ name: `  driver phase: ${phase}`, value: ms, unit: 'ms' })
  if (vmCreated?.ssh !== undefined) ctx.figure({ name: '  provider phase: SSH ready (banner through the forward)', value: vmCreated.ssh, unit: 'ms' })
  ctx.figure({ name: '  after the answer: until ssh logs in', value: loggedIn - answered, unit: 'ms' })
  ctx.note(
    `phases from the daemon's log: "qemu vm launched" ${JSON.stringify(launched ?? null)}, "vm created" ${JSON.stringify(vmCreated ?? null)}; ${attempts} ssh attempt(s); accel tcg; catalog ${catalog}`,
  )
}

export const guestBoot: Benchmark = { name: 'guest-boot', title: 'QEMU guest boot (TCG, tiny-test)', budgetMs: 300_000, run }
