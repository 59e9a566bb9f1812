import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { installService, ServiceError, uninstallService, type ServiceHost } from './service-install.js'

function host(t: TestContext, running = true): ServiceHost & { calls: string[]; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'golem-unit-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const calls: string[] = []
  return {
    dir,
    calls,
    unitDir: dir,
    systemdRunning: () => running,
    systemctl: (args) => {
      calls.push(args.join(' '))
      return Promise.resolve()
    },
  }
}

test('install writes the unit (0644) and the data dir (0700), reloads, enables and restarts; again, it reports no change', async (t) => {
  const h = host(t)
  const dataDir = join(h.dir, 'data')
  const result = await installService(h, '[Unit]\n', { start: true, dataDir })
  assert.equal(result.unitPath, join(h.dir, 'golem-provider.service'))
  assert.equal(readFileSync(result.unitPath, 'utf8'), '[Unit]\n')
  assert.equal(statSync(result.unitPath).mode & 0o777, 0o644)
  assert.equal(statSync(dataDir).mode & 0o777, 0o700)
  assert.deepEqual(h.calls, ['daemon-reload', 'enable golem-provider.service', 'restart golem-provider.service'])
  const again = await installService(h, '[Unit]\n', { start: false, dataDir })
  assert.deepEqual([again.changed, again.started], [false, false])
  assert.equal(h.calls.length, 5, '--no-start: reload and enable only')
})

test('uninstall disables and stops the unit, removes it and reloads; when absent it says so', async (t) => {
  const h = host(t)
  writeFileSync(join(h.dir, 'golem-provider.service'), '[Unit]\n')
  assert.equal(await uninstallService(h), true)
  assert.equal(existsSync(join(h.dir, 'golem-provider.service')), false)
  assert.deepEqual(h.calls, ['disable --now golem-provider.service', 'daemon-reload'])
  assert.equal(await uninstallService(h), false)
})

test('without systemd nothing is written; a failing systemctl is a ServiceError naming the call', async (t) => {
  const none = host(t, false)
  await assert.rejects(
    installService(none, '[Unit]\n', { start: true, dataDir: join(none.dir, 'data') }),
    (e) => e instanceof ServiceError && /install-service --print/.test(e.message),
  )
  assert.equal(existsSync(join(none.dir, 'golem-provider.service')), false)
  assert.equal(existsSync(join(none.dir, 'data')), false)
  const broken: ServiceHost = { ...host(t), systemctl: () => Promise.reject(new Error('Access denied')) }
  await assert.rejects(
    installService(broken, '[Unit]\n', { start: true, dataDir: join(broken.unitDir, 'data') }),
    /systemctl daemon-reload failed: Access denied/,
  )
})
