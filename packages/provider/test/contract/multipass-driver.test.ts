/** The Multipass driver against the fake `multipass` CLI (real sshd per VM). */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { BUILTIN_IMAGES } from '../../src/domain/images.js'
import { MultipassDriver } from '../../src/drivers/multipass/multipass-driver.js'
import { REPO_ROOT } from '../helpers/daemon.js'
import { ed25519Key } from '../helpers/keys.js'
import { runDriverContract } from './driver-contract.js'

const binary = join(REPO_ROOT, 'packages/provider/test/fixtures/multipass/multipass')

runDriverContract('multipass (fake CLI)', async () => {
  const state = mkdtempSync(join(tmpdir(), 'fake-multipass-'))
  // The driver passes its own environment to multipass; the fake reads its state dir from it.
  process.env.FAKE_MULTIPASS_STATE = state
  return {
    driver: new MultipassDriver({ binary, logger: pino({ level: 'silent' }), launchTimeoutMs: 60_000, commandTimeoutMs: 30_000 }),
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
