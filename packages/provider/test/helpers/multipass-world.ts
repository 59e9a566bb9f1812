/**
 * A daemon's world on the fake `multipass` (a real sshd per VM on
 * 127.0.0.N:22) for tests that look inside it: the environment
 * (`fakeMultipassEnv` with four SSH ports unless told, no port verification, a small
 * offer), its data and fake-state dirs, the port range and the renter's SSH
 * key. Requests must be signed, as in production, unless `extra` allows the
 * original requestor's unsigned ones.
 *
 * @module
 */
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { FAKE_MULTIPASS_DIR, fakeMultipassEnv, tempDir } from './daemon.js'
import { sshKeyPair } from './keys.js'

export { FAKE_MULTIPASS_DIR } from './daemon.js'

export interface MultipassWorld {
  readonly dataDir: string
  readonly fakeState: string
  readonly env: Record<string, string>
  readonly range: { readonly start: number; readonly end: number }
  readonly key: { readonly privateKeyPath: string; readonly publicKey: string }
}

export async function multipassWorld(t: TestContext, extra: Record<string, string> = {}, ports = 4): Promise<MultipassWorld> {
  const dir = tempDir(t)
  const env: Record<string, string> = {
    ...(await fakeMultipassEnv(t, dir, ports)),
    GOLEM_PROVIDER_ALLOW_UNSIGNED_REQUESTS: 'false',
    GOLEM_PROVIDER_SKIP_PORT_VERIFICATION: 'true',
    GOLEM_PROVIDER_OFFER_CPU_CORES: '4',
    GOLEM_PROVIDER_OFFER_MEMORY_GB: '8',
    GOLEM_PROVIDER_OFFER_STORAGE_GB: '60',
    ...extra,
  }
  const range = { start: Number(env.GOLEM_PROVIDER_PORT_RANGE_START), end: Number(env.GOLEM_PROVIDER_PORT_RANGE_END) }
  return { dataDir: join(dir, 'data'), fakeState: join(dir, 'fake'), env, range, key: sshKeyPair(dir) }
}

/** Sets the fake's failure controls (`control.json`; see the fixture's README). */
export function fakeControl(w: MultipassWorld, value: Record<string, unknown>): void {
  writeFileSync(join(w.fakeState, 'control.json'), JSON.stringify(value))
}

/** The fake's instances as `multipass list` shows them. */
export function fakeInstances(w: MultipassWorld): { name: string; state: string }[] {
  const out = execFileSync(join(FAKE_MULTIPASS_DIR, 'multipass'), ['list', '--format', 'json'], { env: { ...process.env, FAKE_MULTIPASS_STATE: w.fakeState } })
  return (JSON.parse(out.toString()) as { list: { name: string; state: string }[] }).list
}
