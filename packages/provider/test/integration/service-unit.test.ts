/**
 * `golem-provider install-service`: the real command's unit passes
 * `systemd-analyze verify` (systemd's own parser: every key known, every
 * value valid, the executable present), for each backend's hardening and for
 * a data dir whose name needs escaping.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { PROVIDER_BIN, tempDir } from '../helpers/daemon.js'

function provider(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, [PROVIDER_BIN, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', GOLEM_PROVIDER_ENV_FILE: '/nonexistent', ...env },
  })
}

for (const backend of ['qemu', 'multipass', 'auto']) {
  test(`the ${backend} unit passes systemd-analyze verify`, (t) => {
    const dir = tempDir(t)
    const dataDir = join(dir, 'data dir with 100% $pace')
    const printed = provider(['install-service', '--print', '--environment-file', join(dir, 'provider.env')], {
      GOLEM_PROVIDER_BACKEND: backend,
      GOLEM_PROVIDER_DATA_DIR: dataDir,
    })
    assert.equal(printed.status, 0, printed.stderr)
    assert.match(printed.stderr, /not see them: GOLEM_PROVIDER_BACKEND, GOLEM_PROVIDER_DATA_DIR/, 'shell settings that would not reach the service are named')
    assert.match(printed.stdout, /^KillMode=process$/m)
    assert.match(
      printed.stdout,
      new RegExp(`^ExecStart=${process.execPath.replace(/[/.]/g, '\\$&')} --max-semi-space-size=1 \\S+/bin/golem-provider\\.js start$`, 'm'),
    )
    const unit = join(dir, 'golem-provider.service')
    writeFileSync(unit, printed.stdout)
    const verify = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8', timeout: 60_000 })
    assert.equal(verify.error, undefined, 'systemd-analyze runs (Debian package systemd)')
    assert.equal(verify.status, 0, verify.stderr)
    // verify exits 0 on unknown keys and bad values too; it reports them on stderr.
    assert.equal(verify.stderr.trim(), '', 'no warnings')
    assert.equal(existsSync(dataDir), false, '--print changes nothing')
  })
}

test(
  'install-service without systemd says so and writes nothing',
  { skip: existsSync('/run/systemd/system') ? 'systemd runs here: the command would install a real service' : false },
  (t) => {
    const dir = tempDir(t)
    const result = provider(['install-service'], { GOLEM_PROVIDER_DATA_DIR: join(dir, 'data') })
    assert.equal(result.status, 1)
    assert.match(result.stderr, /systemd does not manage this machine .*install-service --print/)
    assert.equal(existsSync('/etc/systemd/system/golem-provider.service'), false)
    assert.equal(existsSync(join(dir, 'data')), false)
    const removed = provider(['uninstall-service'], {})
    assert.equal(removed.status, 1)
  },
)
