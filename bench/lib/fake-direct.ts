/**
 * The backend's own time, measured without the provider: the fake multipass
 * run directly with the same commands the Multipass driver runs for a create
 * (`launch … --cloud-init -` with the user-data on stdin, then `info`).
 *
 * @module
 */
import type { World } from './daemon.js'

export interface DirectLaunch {
  readonly launchMs: number
  readonly infoMs: number
  readonly totalMs: number
}

const userData = (key: string, hostname: string) => `#cloud-config\nhostname: ${hostname}\nssh_authorized_keys:\n  - ${key}\ndisable_root: false\n`

/** One launch + info of the fake, as the driver does it; throws unless both succeed. */
export async function launchDirect(world: World, name: string): Promise<DirectLaunch> {
  const started = performance.now()
  const launch = await world.fake(
    ['launch', '24.04', '--name', name, '--cpus', '1', '--memory', '1G', '--disk', '10G', '--cloud-init', '-', '--timeout', '600'],
    120_000,
    userData(world.key.publicKey, name),
  )
  if (launch.code !== 0) throw new Error(`fake launch ${name}: ${launch.code ?? 'killed'} ${launch.stderr}`)
  const info = await world.fake(['info', name, '--format', 'json'])
  if (info.code !== 0) throw new Error(`fake info ${name}: ${info.code ?? 'killed'} ${info.stderr}`)
  return { launchMs: launch.ms, infoMs: info.ms, totalMs: performance.now() - started }
}
