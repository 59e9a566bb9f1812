/**
 * Installs and removes the provider's systemd unit: writes the unit file
 * (atomically, 0644), then asks systemd to load, enable and (re)start it;
 * removal disables and stops it first. Stopping the unit never stops VMs
 * (`KillMode=process`, see unit-file.ts).
 *
 * @module
 */
import { existsSync } from 'node:fs'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { run } from '../exec/run.js'
import { UNIT_NAME } from './unit-file.js'

/** Where system units written by the administrator live. */
export const SYSTEM_UNIT_DIR = '/etc/systemd/system'

export interface ServiceHost {
  /** Directory the unit is written to. */
  readonly unitDir: string
  /** True when systemd manages this machine (it creates /run/systemd/system at boot). */
  readonly systemdRunning: () => boolean
  /** Runs `systemctl` with these arguments; rejects when it fails. */
  readonly systemctl: (args: readonly string[]) => Promise<void>
}

/** Thrown when the service cannot be installed or removed; the message says what to do. */
export class ServiceError extends Error {
  override readonly name = 'ServiceError'
}

/** This machine's systemd, through the `systemctl` on PATH. */
export const systemHost = (): ServiceHost => ({
  unitDir: SYSTEM_UNIT_DIR,
  systemdRunning: () => existsSync('/run/systemd/system'),
  systemctl: async (args) => {
    await run('systemctl', args, { timeoutMs: 120_000 })
  },
})

export interface InstallResult {
  readonly unitPath: string
  /** False when the unit file was the same already. */
  readonly changed: boolean
  readonly started: boolean
}

/**
 * Creates the data dir (0700; under ProtectHome=read-only the service could not create one in a home
 * directory itself), writes the unit, reloads systemd, enables it, and (unless `start` is false) restarts it.
 */
export async function installService(host: ServiceHost, unit: string, opts: { start: boolean; dataDir: string }): Promise<InstallResult> {
  requireSystemd(host)
  await mkdir(opts.dataDir, { recursive: true, mode: 0o700 })
  const unitPath = join(host.unitDir, UNIT_NAME)
  const previous = await readIfExists(unitPath)
  const tmp = `${unitPath}.tmp-${process.pid}`
  try {
    await writeFile(tmp, unit, { mode: 0o644 })
    await rename(tmp, unitPath)
  } catch (error) {
    await rm(tmp, { force: true })
    throw new ServiceError(`cannot write ${unitPath}: ${(error as Error).message} (run as root)`)
  }
  await systemctl(host, ['daemon-reload'])
  await systemctl(host, ['enable', UNIT_NAME])
  if (opts.start) await systemctl(host, ['restart', UNIT_NAME])
  return { unitPath, changed: previous !== unit, started: opts.start }
}

/** Disables and stops the unit and removes its file; VMs keep running. Resolves false when it was not installed. */
export async function uninstallService(host: ServiceHost): Promise<boolean> {
  requireSystemd(host)
  const unitPath = join(host.unitDir, UNIT_NAME)
  if (!existsSync(unitPath)) return false
  await systemctl(host, ['disable', '--now', UNIT_NAME])
  await rm(unitPath, { force: true })
  await systemctl(host, ['daemon-reload'])
  return true
}

function requireSystemd(host: ServiceHost): void {
  if (!host.systemdRunning()) {
    throw new ServiceError(
      'systemd does not manage this machine (no /run/systemd/system); `golem-provider install-service --print` shows the unit to install by other means',
    )
  }
}

async function systemctl(host: ServiceHost, args: readonly string[]): Promise<void> {
  try {
    await host.systemctl(args)
  } catch (error) {
    throw new ServiceError(`systemctl ${args.join(' ')} failed: ${(error as Error).message}`)
  }
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch {
    return undefined
  }
}
