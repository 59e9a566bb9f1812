import assert from 'node:assert/strict'
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import pino from 'pino'
import { loadConfig, type Config } from '../config.js'
import { selectDriver } from './select.js'
import { DriverError } from './driver.js'

// A folder of fake executables, to stand for what is installed.
function bin(t: TestContext, names: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'select-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  for (const name of names) {
    writeFileSync(join(dir, name), '#!/bin/sh\nexit 0\n')
    chmodSync(join(dir, name), 0o755)
  }
  return dir
}

function config(env: Record<string, string>): Config {
  const result = loadConfig({ env: { HOME: '/tmp', GOLEM_PROVIDER_DATA_DIR: '/tmp/golem-select-test', ...env } })
  if (!result.ok) throw new Error(result.problems.join('; '))
  return result.config
}

function logs(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = []
  return { lines, log: pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l) as Record<string, unknown>) }) }
}

// `auto` also looks for multipass in the usual install folders, which a test cannot hide.
const multipassInstalled = ['/snap/bin', '/usr/local/bin', '/usr/bin', '/opt/homebrew/bin'].some((d) => existsSync(join(d, 'multipass')))

test(
  'auto picks qemu when multipass is absent and qemu is installed, and says why',
  { skip: multipassInstalled ? 'multipass is installed here' : false },
  async (t) => {
    const path = bin(t, ['qemu-system-x86_64', 'qemu-img', 'genisoimage'])
    const { log, lines } = logs()
    const driver = await selectDriver(config({}), log, path)
    assert.equal(driver.name, 'qemu')
    assert.deepEqual(
      lines.find((l) => l.msg === 'backend chosen'),
      {
        ...lines.find((l) => l.msg === 'backend chosen'),
        backend: 'qemu',
        why: 'auto: multipass is not installed, qemu is',
        binary: join(path, 'qemu-system-x86_64'),
      },
    )
  },
)

test('auto still prefers multipass; qemu can be chosen explicitly', async (t) => {
  const path = bin(t, ['multipass', 'qemu-system-x86_64'])
  assert.equal((await selectDriver(config({}), logs().log, path)).name, 'multipass')
  assert.equal((await selectDriver(config({ GOLEM_PROVIDER_BACKEND: 'qemu' }), logs().log, path)).name, 'qemu')
})

test('qemu chosen but missing is BACKEND_UNAVAILABLE saying what to install', async (t) => {
  const path = bin(t, [])
  const unavailable = (e: unknown) => e instanceof DriverError && e.code === 'UNAVAILABLE'
  const missing = { GOLEM_PROVIDER_QEMU_BINARY: 'golem-no-such-qemu' }
  await assert.rejects(
    selectDriver(config({ ...missing, GOLEM_PROVIDER_BACKEND: 'qemu' }), logs().log, path),
    (e: unknown) => unavailable(e) && /apt install qemu-system-x86/.test((e as Error).message),
  )
  await assert.rejects(selectDriver(config({ GOLEM_PROVIDER_BACKEND: 'qemu', GOLEM_PROVIDER_QEMU_BINARY: '/nonexistent/qemu' }), logs().log, path), unavailable)
  if (!multipassInstalled) {
    await assert.rejects(
      selectDriver(config(missing), logs().log, path),
      (e: unknown) => unavailable(e) && /neither multipass nor golem-no-such-qemu/.test((e as Error).message),
    )
  }
})
