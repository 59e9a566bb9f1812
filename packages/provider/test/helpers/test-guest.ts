/**
 * The test guests (`scripts/test-guest/build.sh`): built once per test
 * process (the script caches its images across runs), then read from the
 * catalogue file it prints as its last line.
 *
 * @module
 */
import { execFile } from 'node:child_process'
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { join } from 'node:path'
import type { ImageEntry } from '../../src/domain/images.js'
import { parseImageCatalog } from '../../src/infra/images/catalog-file.js'
import { REPO_ROOT } from './daemon.js'

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
        if (error !== null || !last.endsWith('.json')) reject(new Error(`build.sh failed: ${error?.message ?? 'no catalogue path printed'}\n${stderr.slice(-3000)}`))
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
