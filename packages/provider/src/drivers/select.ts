/**
 * Chooses the VM backend from the configuration: explicitly, never by
 * import side effects. `auto` takes Multipass when it is installed.
 *
 * @module
 */
import { access, constants } from 'node:fs/promises'
import { delimiter, join } from 'node:path'
import type { Logger } from 'pino'
import type { Config } from '../config.js'
import { ProviderError } from '../domain/errors.js'
import type { VmDriver } from './driver.js'
import { MultipassDriver } from './multipass/multipass-driver.js'

const MULTIPASS_DIRS = ['/snap/bin', '/usr/local/bin', '/usr/bin', '/opt/homebrew/bin']

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** Finds an executable by name on PATH, then in the usual install folders. */
export async function findExecutable(name: string, pathEnv: string, extraDirs: readonly string[] = []): Promise<string | undefined> {
  for (const dir of [...pathEnv.split(delimiter).filter(Boolean), ...extraDirs]) {
    const candidate = join(dir, name)
    if (await isExecutable(candidate)) return candidate
  }
  return undefined
}

export async function selectDriver(config: Config, log: Logger, pathEnv: string = process.env.PATH ?? ''): Promise<VmDriver> {
  const multipass = config.multipassBinary ?? (await findExecutable('multipass', pathEnv, MULTIPASS_DIRS))
  if (config.multipassBinary !== undefined && !(await isExecutable(config.multipassBinary))) {
    throw new ProviderError('BACKEND_UNAVAILABLE', `GOLEM_PROVIDER_MULTIPASS_BINARY_PATH=${config.multipassBinary} is not an executable file`)
  }
  const useMultipass = config.backend === 'multipass' || (config.backend === 'auto' && multipass !== undefined)
  if (useMultipass) {
    if (multipass === undefined) throw new ProviderError('BACKEND_UNAVAILABLE', 'multipass is not installed (not on PATH nor in /snap/bin, /usr/local/bin, /usr/bin); install it or set GOLEM_PROVIDER_MULTIPASS_BINARY_PATH')
    log.info({ backend: 'multipass', binary: multipass, why: config.backend === 'auto' ? 'auto: multipass is installed' : 'configured' }, 'backend chosen')
    return new MultipassDriver({ binary: multipass, logger: log.child({ part: 'multipass' }), launchTimeoutMs: config.createTimeoutMs, commandTimeoutMs: config.commandTimeoutMs })
  }
  throw new ProviderError('BACKEND_UNAVAILABLE', 'no VM backend: install Multipass, or choose GOLEM_PROVIDER_BACKEND=qemu once QEMU is installed')
}
