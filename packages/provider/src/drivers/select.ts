/**
 * Chooses the VM backend from the configuration: explicitly, never by
 * import side effects. `auto` takes Multipass when it is installed, else
 * QEMU when `qemu-system-x86_64` (GOLEM_PROVIDER_QEMU_BINARY) is installed.
 * The log says which backend and why.
 *
 * @module
 */
import { access, constants } from 'node:fs/promises'
import { delimiter, isAbsolute, join } from 'node:path'
import type { Logger } from 'pino'
import type { Config } from '../config.js'
import { DriverError, type VmDriver } from './driver.js'
import { MultipassDriver } from './multipass/multipass-driver.js'
import { ImageCache } from '../infra/images/image-cache.js'
import { QemuDriver } from './qemu/qemu-driver.js'
import { ISO_TOOLS } from './qemu/seed-iso.js'

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

// A configured binary: an absolute path as given, a bare name looked up on PATH.
async function resolveBinary(nameOrPath: string, pathEnv: string): Promise<string | undefined> {
  if (isAbsolute(nameOrPath)) return (await isExecutable(nameOrPath)) ? nameOrPath : undefined
  return findExecutable(nameOrPath, pathEnv, ['/usr/bin', '/usr/local/bin'])
}

async function qemuDriver(config: Config, log: Logger, pathEnv: string, binary: string): Promise<VmDriver> {
  let isoTool: string | undefined
  for (const tool of ISO_TOOLS) isoTool ??= await findExecutable(tool, pathEnv, ['/usr/bin'])
  const logger = log.child({ part: 'qemu' })
  return new QemuDriver({
    binary,
    qemuImg: (await resolveBinary(config.qemuImgBinary, pathEnv)) ?? config.qemuImgBinary,
    isoTool,
    vmsDir: join(config.dataDir, 'vms'),
    images: new ImageCache({ dir: join(config.dataDir, 'images'), logger }),
    logger,
    accel: config.qemuAccel,
    commandTimeoutMs: config.commandTimeoutMs,
    powerdownTimeoutMs: config.qemuPowerdownTimeoutMs,
    bootTimeoutMs: config.createTimeoutMs,
  })
}

/** The backend the configuration asks for; rejects with a DriverError (UNAVAILABLE) saying what to install. */
export async function selectDriver(config: Config, log: Logger, pathEnv: string = process.env.PATH ?? ''): Promise<VmDriver> {
  const multipass = config.multipassBinary ?? (await findExecutable('multipass', pathEnv, MULTIPASS_DIRS))
  if (config.multipassBinary !== undefined && !(await isExecutable(config.multipassBinary))) {
    throw new DriverError('UNAVAILABLE', `GOLEM_PROVIDER_MULTIPASS_BINARY_PATH=${config.multipassBinary} is not an executable file`)
  }
  const useMultipass = config.backend === 'multipass' || (config.backend === 'auto' && multipass !== undefined)
  if (useMultipass) {
    if (multipass === undefined)
      throw new DriverError(
        'UNAVAILABLE',
        'multipass is not installed (not on PATH nor in /snap/bin, /usr/local/bin, /usr/bin); install it or set GOLEM_PROVIDER_MULTIPASS_BINARY_PATH',
      )
    log.info({ backend: 'multipass', binary: multipass, why: config.backend === 'auto' ? 'auto: multipass is installed' : 'configured' }, 'backend chosen')
    return new MultipassDriver({
      binary: multipass,
      logger: log.child({ part: 'multipass' }),
      launchTimeoutMs: config.createTimeoutMs,
      commandTimeoutMs: config.commandTimeoutMs,
      network: config.multipassNetwork,
    })
  }
  const qemu = await resolveBinary(config.qemuBinary, pathEnv)
  if (qemu !== undefined) {
    log.info({ backend: 'qemu', binary: qemu, why: config.backend === 'auto' ? 'auto: multipass is not installed, qemu is' : 'configured' }, 'backend chosen')
    return qemuDriver(config, log, pathEnv, qemu)
  }
  if (config.backend === 'qemu') {
    throw new DriverError(
      'UNAVAILABLE',
      `${config.qemuBinary} is not installed or not executable; install QEMU (Debian: apt install qemu-system-x86 qemu-utils genisoimage) or set GOLEM_PROVIDER_QEMU_BINARY`,
    )
  }
  throw new DriverError(
    'UNAVAILABLE',
    `no VM backend: neither multipass nor ${config.qemuBinary} is installed; install Multipass, or QEMU (Debian: apt install qemu-system-x86 qemu-utils genisoimage)`,
  )
}
