/**
 * The Multipass driver's stop: when `multipass stop` fails, it forces (`multipass stop --force`) and logs why.
 * Against the fake `multipass` CLI, behind a wrapper whose clean stop fails as a wedged guest's does.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import pino from 'pino'
import { buildCloudInit } from '../../src/domain/cloud-init.js'
import { BUILTIN_IMAGES } from '../../src/domain/images.js'
import { instanceName } from '../../src/domain/vm.js'
import { MultipassDriver } from '../../src/drivers/multipass/multipass-driver.js'
import { REPO_ROOT } from '../helpers/daemon.js'
import { ed25519Key } from '../helpers/keys.js'

const FAKE = join(REPO_ROOT, 'packages/provider/test/fixtures/multipass/multipass')

test('a clean stop that fails is followed by a forced stop; the instance ends stopped and the log says why', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'multipass-stop-'))
  const state = join(dir, 'state')
  const previousState = process.env.FAKE_MULTIPASS_STATE
  // The driver passes its own environment to multipass; the fake reads its state dir from it.
  process.env.FAKE_MULTIPASS_STATE = state
  t.after(() => {
    execFileSync(FAKE, ['--fake-reset'], { env: { ...process.env, FAKE_MULTIPASS_STATE: state } })
    if (previousState === undefined) delete process.env.FAKE_MULTIPASS_STATE
    else process.env.FAKE_MULTIPASS_STATE = previousState
    rmSync(dir, { recursive: true, force: true })
  })
  const calls = join(dir, 'stops.log')
  const wrapper = join(dir, 'multipass')
  writeFileSync(
    wrapper,
    [
      '#!/bin/sh',
      `if [ "$1" = stop ]; then echo "$*" >> '${calls}'; fi`,
      'if [ "$1" = stop ] && [ "$2" != --force ]; then echo "stop failed: The following errors occurred:" >&2; echo "timed out waiting for the instance to stop" >&2; exit 2; fi',
      `exec '${FAKE}' "$@"`,
      '',
    ].join('\n'),
  )
  chmodSync(wrapper, 0o755)
  const logged: Record<string, unknown>[] = []
  const logger = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) })
  const driver = new MultipassDriver({
    binary: wrapper,
    logger,
    launchTimeoutMs: 60_000,
    commandTimeoutMs: 30_000,
    network: [{ address: '127.0.0.0', prefix: 8 }],
  })
  const instance = instanceName(`stop-${process.pid}`, new Date())
  const signal = () => AbortSignal.timeout(60_000)
  await driver.launch(
    {
      instance,
      hostname: 'stop-vm',
      resources: { cpu: 1, memory: 1, storage: 10 },
      image: BUILTIN_IMAGES[0]!,
      cloudInit: buildCloudInit({ hostname: 'stop-vm', instanceId: instance, sshKey: ed25519Key() }),
    },
    signal(),
  )
  t.after(() => driver.destroy(instance, AbortSignal.timeout(60_000)).catch(() => undefined))
  await driver.stop(instance, signal())
  assert.deepEqual(readFileSync(calls, 'utf8').trim().split('\n'), [`stop ${instance}`, `stop --force ${instance}`])
  assert.equal((await driver.inspect(instance, signal())).kind, 'stopped')
  const warning = logged.find((l) => l.msg === 'clean stop failed, forcing')
  assert.equal(warning?.instance, instance)
  assert.match(String(warning.err), /timed out waiting for the instance to stop/)
})
