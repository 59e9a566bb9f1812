/** The Multipass driver against the fake `multipass` CLI (real sshd per VM). */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import pino from 'pino'
import { BUILTIN_IMAGES } from '../../src/domain/images.js'
import { MultipassDriver } from '../../src/drivers/multipass/multipass-driver.js'
import { REPO_ROOT } from '../helpers/daemon.js'
import { ed25519Key } from '../helpers/keys.js'
import { runDriverContract } from './driver-contract.js'

const binary = join(REPO_ROOT, 'packages/provider/test/fixtures/multipass/multipass')
const logged: Record<string, unknown>[] = []
const logger = pino(
  { level: 'info' },
  {
    write: (line: string) => {
      logged.push(JSON.parse(line) as Record<string, unknown>)
    },
  },
)

runDriverContract('multipass (fake CLI)', async () => {
  const state = mkdtempSync(join(tmpdir(), 'fake-multipass-'))
  // The driver passes its own environment to multipass; the fake reads its state dir from it.
  process.env.FAKE_MULTIPASS_STATE = state
  return {
    driver: new MultipassDriver({ binary, logger, launchTimeoutMs: 60_000, commandTimeoutMs: 30_000, network: [{ address: '127.0.0.0', prefix: 8 }] }),
    image: BUILTIN_IMAGES[0]!,
    resources: { cpu: 1, memory: 1, storage: 10 },
    sshKey: ed25519Key(),
    bootTimeoutMs: 60_000,
    cleanup: async () => {
      execFileSync(binary, ['--fake-reset'], { env: { ...process.env, FAKE_MULTIPASS_STATE: state } })
      rmSync(state, { recursive: true, force: true })
    },
  }
})

test('each backend call is logged with its command and the instance it is about (none for list and version)', () => {
  const calls = logged.filter((l) => l.msg === 'backend call' || l.msg === 'backend call failed')
  const commands = new Set(calls.map((l) => l.command))
  for (const command of ['launch', 'info', 'stop', 'start', 'delete']) assert.ok(commands.has(command), `${command} was called`)
  for (const call of calls) {
    if (call.command === 'list' || call.command === 'version') assert.equal(call.instance, undefined)
    else assert.match(String(call.instance), /^golem-(contract-\d+|never-created)-/, JSON.stringify(call))
  }
})
