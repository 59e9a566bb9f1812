/**
 * Boots a VM folder: starts QEMU detached in the folder, waits until its QMP
 * socket answers and reads the forwarded SSH port. The wait is bounded; a
 * QEMU that exits is reported with its stderr. Whether the guest's SSH server
 * comes up is the use case's wait (app/ports/ssh-readiness.ts); `consoleTail`
 * explains a guest that does not.
 *
 * @module
 */
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { SshEndpoint } from '../../domain/vm.js'
import { spawnDetached } from '../../infra/exec/spawn-detached.js'
import { appendConsoleLog, logTail, rotateConsoleLog } from './console-log.js'
import { qemuArgv, VM_FILES, type Accelerator } from './qemu-argv.js'
import { DriverError } from '../driver.js'
import { QmpError } from './qmp-client.js'
import { queryVm, type VmRuntime } from './qmp-queries.js'
import { isAlive } from './vm-process.js'
import type { VmMeta } from './vm-folder.js'

/** User-mode networking always gives the guest this address; the host reaches it only through the forward. */
export const GUEST_ADDRESS = '10.0.2.15'

/**
 * Where the host reaches the guest's SSH server: its own address on the
 * isolated network, or the loopback port QEMU forwards (undefined until known).
 */
export const guestEndpoint = (meta: Pick<VmMeta, 'network'>, forwardedPort: number | undefined): SshEndpoint | undefined =>
  meta.network !== undefined ? { host: meta.network.address, port: 22 } : forwardedPort === undefined ? undefined : { host: '127.0.0.1', port: forwardedPort }

/** The guest's own address: fixed on the isolated network, QEMU's user-mode one otherwise. */
export const guestAddress = (meta: Pick<VmMeta, 'network'> | undefined): string => meta?.network?.address ?? GUEST_ADDRESS

export interface BootOptions {
  readonly binary: string
  readonly accelerator: Accelerator
  /** Longest QEMU may take to open its QMP socket after it was started. */
  readonly startTimeoutMs: number
}

export interface Booted {
  readonly pid: number
  readonly endpoint: SshEndpoint
}

const CONSOLE_TAIL_LINES = 15

/** QEMU gets a minimal environment: the provider's own (settings, secrets) stays with the provider. */
const QEMU_ENV: NodeJS.ProcessEnv = { PATH: '/usr/local/bin:/usr/bin:/bin', LC_ALL: 'C' }

/**
 * Asks the folder's QEMU for its state and the forwarded SSH port, and moves
 * what the guest wrote to its console since the last call into `console.log`.
 */
export async function pollQemu(dir: string, opts: { readonly timeoutMs: number; readonly signal?: AbortSignal | undefined }): Promise<VmRuntime> {
  const vm = await queryVm(join(dir, VM_FILES.qmp), opts, true)
  await appendConsoleLog(dir, vm.console ?? Buffer.alloc(0))
  return vm
}

/** The last console lines (drained from a running QEMU first), as a sentence fragment for an error message. */
export async function consoleTail(dir: string): Promise<string> {
  await pollQemu(dir, { timeoutMs: 2000 }).catch(() => undefined)
  const tail = await logTail(join(dir, VM_FILES.console), CONSOLE_TAIL_LINES)
  return tail === '' ? 'the serial console is empty' : `last console lines:\n${tail}`
}

const failed = (message: string) => new DriverError('FAILED', message)

/** Starts QEMU for the folder's VM and resolves once QMP answers with the forwarded SSH port. */
export async function startQemu(dir: string, meta: VmMeta, opts: BootOptions, signal: AbortSignal): Promise<Booted> {
  await rotateConsoleLog(dir)
  await rm(join(dir, VM_FILES.stderr), { force: true })
  const { kernel, initrd, append } = meta.image
  const argv = qemuArgv({
    instance: meta.instance,
    cpus: meta.cpus,
    memoryMb: meta.memoryMb,
    accelerator: opts.accelerator,
    sshHostPort: 0,
    tap: meta.network === undefined ? undefined : { ifname: meta.network.tap, mac: meta.network.mac },
    kernelBoot: kernel === undefined ? undefined : { kernel, initrd, append },
  })
  const child = await spawnDetached(opts.binary, argv, {
    cwd: dir,
    env: QEMU_ENV,
    stdoutPath: join(dir, VM_FILES.stdout),
    stderrPath: join(dir, VM_FILES.stderr),
  })
  const deadline = performance.now() + opts.startTimeoutMs
  for (;;) {
    signal.throwIfAborted()
    if (!(await isAlive(child.pid))) throw failed(`qemu exited at start: ${await stderrTail(dir)}`)
    try {
      const vm = await queryVm(join(dir, VM_FILES.qmp), { timeoutMs: 2000, signal })
      const endpoint = guestEndpoint(meta, vm.sshPort)
      if (endpoint !== undefined) return { pid: child.pid, endpoint }
      if (vm.sshPort === undefined) throw failed("qemu runs but reports no port forwarded to the guest's SSH server")
      return { pid: child.pid, endpoint: { host: '127.0.0.1', port: vm.sshPort } }
    } catch (error) {
      if (!(error instanceof QmpError) || performance.now() > deadline) throw error
    }
    await sleep(100, undefined, { signal })
  }
}

async function stderrTail(dir: string): Promise<string> {
  const tail = await logTail(join(dir, VM_FILES.stderr), 5)
  return tail === '' ? 'it printed nothing' : tail
}
