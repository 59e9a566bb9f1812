/**
 * The QEMU backend: drives `qemu-system-x86_64` directly, one detached QEMU
 * process per running VM, each VM in its own folder `<dataDir>/vms/<instance>/`
 * (see `vm-folder.ts`). State lives only in those folders and the live
 * processes, so after a provider restart `list` and `inspect` find every VM
 * again: the folder says what the VM is (`vm.json`), the pid file and /proc
 * say whether it runs, and QMP says its state and forwarded SSH port.
 *
 * @module
 */
import type { VmResources } from '@golem-vm/protocol'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import { readFile } from 'node:fs/promises'
import { readyMarker } from '../../domain/cloud-init.js'
import { ExecFailure, run } from '../../infra/exec/run.js'
import type { ImageCache } from '../../infra/images/image-cache.js'
import type { GuestPort } from '../../domain/port-mappings.js'
import type { SshEndpoint } from '../../domain/vm.js'
import { DriverError, type DriverInfo, type DriverInstance, type DriverVmState, type LaunchSpec, type RunningVm, type VmDriver } from '../driver.js'
import { toDriverError } from '../driver-error.js'
import { detectAccelerator, type AccelDecision, type AccelSetting } from './accelerator.js'
import { capConsoleLog } from './console-log.js'
import { consoleTail, guestAddress, guestEndpoint, pollQemu, startQemu } from './qemu-boot.js'
import { prepareDisk } from './qemu-disk.js'
import { timed, withDeadline } from './phases.js'
import { memoryMb, VM_FILES } from './qemu-argv.js'
import { withQmp } from './qmp-client.js'
import { forwardGuestPort } from './qmp-queries.js'
import { VmFolders, type VmMeta } from './vm-folder.js'
import { isAlive, pidFromFile, pidsIn, terminate, waitForExit } from './vm-process.js'

export interface QemuDriverOptions {
  readonly binary: string
  readonly qemuImg: string
  /** genisoimage, xorriso or mkisofs; undefined when none is installed (probe says so). */
  readonly isoTool: string | undefined
  /** `<dataDir>/vms` holds the VM folders. */
  readonly vmsDir: string
  readonly images: ImageCache
  readonly logger: Logger
  readonly accel: AccelSetting
  /** Longest a tool (qemu-img, genisoimage) or a QMP exchange may take. */
  readonly commandTimeoutMs: number
  /** How long a guest gets to power off after the ACPI button before it is forced. */
  readonly powerdownTimeoutMs: number
  /**
   * The driver's own bound on a launch or start (image, disks, QEMU up with
   * its forward), whatever the caller's signal does.
   */
  readonly bootTimeoutMs: number
}

const QMP_TIMEOUT_MS = 5000
const QEMU_START_TIMEOUT_MS = 30_000
const CONSOLE_SWEEP_MS = 30_000

export class QemuDriver implements VmDriver {
  readonly name = 'qemu' as const
  readonly #o: QemuDriverOptions
  readonly #folders: VmFolders
  #accel: Promise<AccelDecision> | undefined
  #sweep: NodeJS.Timeout | undefined

  constructor(opts: QemuDriverOptions) {
    this.#o = opts
    this.#folders = new VmFolders(opts.vmsDir)
  }

  async probe(signal: AbortSignal): Promise<DriverInfo> {
    const version = await this.#tool(
      this.#o.binary,
      ['-version'],
      signal,
      'install QEMU (Debian: apt install qemu-system-x86) or set GOLEM_PROVIDER_QEMU_BINARY',
    )
    await this.#tool(this.#o.qemuImg, ['--version'], signal, 'install qemu-img (Debian: apt install qemu-utils) or set GOLEM_PROVIDER_QEMU_IMG_BINARY')
    if (this.#o.isoTool === undefined) {
      throw new DriverError('UNAVAILABLE', 'no tool to write the cloud-init seed: install genisoimage (or xorriso)')
    }
    const accel = await this.#accelerator()
    this.#startConsoleSweep()
    const v = /version (\S+)/.exec(version)?.[1] ?? 'unknown'
    return { name: 'qemu', version: v, detail: `qemu ${v} (${this.#o.binary}), accelerator ${accel.accelerator}: ${accel.reason}` }
  }

  async launch(spec: LaunchSpec, callerSignal: AbortSignal): Promise<RunningVm> {
    const log = this.#o.logger.child({ instance: spec.instance })
    const phases: Record<string, number> = {}
    const signal = withDeadline(callerSignal, this.#o.bootTimeoutMs)
    return this.#translate('launch', spec.instance, phases, async () => {
      const source = spec.image.qemu
      if (source === undefined) throw new DriverError('FAILED', `image "${spec.image.name}" has no QEMU source in the catalogue`)
      const dir = await this.#create(spec.instance)
      const base = await timed(phases, 'image', () => this.#o.images.ensure(spec.image.name, source, signal))
      const meta: VmMeta = {
        version: 1,
        instance: spec.instance,
        hostname: spec.hostname,
        cpus: spec.resources.cpu,
        memoryMb: memoryMb(spec.resources.memory, source.minMemoryMb),
        storageGb: spec.resources.storage,
        image: { name: spec.image.name, base, format: source.format, kernel: source.kernel, initrd: source.initrd, append: source.append },
        createdAt: new Date().toISOString(),
        readyMarker: readyMarker(spec.instance),
        ...(spec.network === undefined ? {} : { network: { tap: spec.network.tap, mac: spec.network.mac, address: spec.network.address } }),
      }
      await this.#folders.writeMeta(meta)
      await prepareDisk(
        dir,
        meta,
        spec.cloudInit,
        { qemuImg: this.#o.qemuImg, isoTool: this.#o.isoTool ?? 'genisoimage', timeoutMs: this.#o.commandTimeoutMs, signal },
        phases,
      )
      const running = await this.#boot(dir, meta, signal, phases)
      log.info({ phasesMs: phases, endpoint: running.endpoint, memoryMb: meta.memoryMb }, 'qemu vm launched')
      return running
    })
  }

  async start(instance: string, callerSignal: AbortSignal): Promise<RunningVm> {
    const signal = withDeadline(callerSignal, this.#o.bootTimeoutMs)
    const phases: Record<string, number> = {}
    return this.#translate('start', instance, phases, async () => {
      const state = await this.inspect(instance, signal)
      if (state.kind === 'running') return { endpoint: state.endpoint, ipAddress: state.ipAddress }
      const meta = await this.#meta(instance)
      if (state.kind === 'other') throw new DriverError('FAILED', `VM ${instance} cannot be started: ${state.detail}`)
      const running = await this.#boot(this.#folders.dir(instance), meta, signal, phases)
      this.#o.logger.info({ instance, phasesMs: phases, endpoint: running.endpoint }, 'qemu vm started')
      return running
    })
  }

  async stop(instance: string, signal: AbortSignal): Promise<void> {
    await this.#translate('stop', instance, {}, async () => {
      await this.#meta(instance)
      const pid = await pidFromFile(this.#folders.dir(instance))
      if (pid === undefined) return
      const started = performance.now()
      const asked = await this.#qmp(instance, (qmp) => qmp.execute('system_powerdown'), signal).then(
        () => true,
        () => false,
      )
      if (asked && (await this.#poweredOff(instance, pid, signal))) {
        this.#o.logger.info({ instance, durationMs: Math.round(performance.now() - started) }, 'qemu vm powered off')
        return
      }
      this.#o.logger.warn({ instance, waitedMs: Math.round(performance.now() - started), acpi: asked }, 'the guest did not power off; forcing')
      await pollQemu(this.#folders.dir(instance), { timeoutMs: QMP_TIMEOUT_MS }).catch(() => undefined)
      if (!(await terminate([pid], 3000))) throw new DriverError('FAILED', `the QEMU process ${pid} of ${instance} does not exit`)
    })
  }

  async destroy(instance: string, signal: AbortSignal): Promise<void> {
    if (!VmFolders.isValidName(instance)) return
    await this.#translate('destroy', instance, {}, async () => {
      signal.throwIfAborted()
      // Every process working in the folder: the pid file may be missing after a crash mid-launch.
      const pids = await pidsIn(this.#folders.dir(instance))
      if (pids.length > 0 && !(await terminate(pids, 3000))) {
        throw new DriverError('FAILED', `the QEMU process of ${instance} does not exit; its folder is kept`)
      }
      await this.#folders.remove(instance)
      this.#o.logger.info({ instance, killed: pids }, 'qemu vm destroyed')
    })
  }

  async inspect(instance: string, signal: AbortSignal): Promise<DriverVmState> {
    if (!(await this.#folders.exists(instance))) return { kind: 'absent' }
    const dir = this.#folders.dir(instance)
    const pid = await pidFromFile(dir)
    const meta = await this.#folders.readMeta(instance).catch(() => undefined)
    if (pid === undefined) return meta === undefined ? { kind: 'other', detail: 'incomplete: its launch did not finish' } : { kind: 'stopped' }
    try {
      const vm = await pollQemu(dir, { timeoutMs: QMP_TIMEOUT_MS, signal })
      if (vm.status === 'shutdown') {
        await this.#endPoweredOff(instance, pid)
        return { kind: 'stopped' }
      }
      const endpoint = meta === undefined ? undefined : guestEndpoint(meta, vm.sshPort)
      if (vm.status === 'running' && endpoint !== undefined) return { kind: 'running', endpoint, ipAddress: guestAddress(meta) }
      return { kind: 'other', detail: `qemu reports ${vm.status}` }
    } catch (error) {
      return { kind: 'other', detail: `qemu runs (pid ${pid}) but QMP does not answer: ${(error as Error).message}` }
    }
  }

  async list(signal: AbortSignal): Promise<DriverInstance[]> {
    const out: DriverInstance[] = []
    for (const instance of await this.#folders.list()) out.push({ instance, state: (await this.inspect(instance, signal)).kind })
    return out
  }

  /** From the instance's vm.json: its cores, memory and disk size. */
  async holdings(instance: string): Promise<Partial<VmResources>> {
    const meta = await this.#folders.readMeta(instance).catch(() => undefined)
    return meta === undefined ? {} : { cpu: meta.cpus, memory: Math.ceil(meta.memoryMb / 1024), storage: meta.storageGb }
  }

  // Boots the folder's VM; resolves once QEMU runs with the SSH forward. A failed boot leaves no process running.
  async #boot(dir: string, meta: VmMeta, signal: AbortSignal, phases: Record<string, number>): Promise<RunningVm> {
    const { accelerator } = await this.#accelerator()
    try {
      const booted = await timed(phases, 'launch', () =>
        startQemu(dir, meta, { binary: this.#o.binary, accelerator, startTimeoutMs: QEMU_START_TIMEOUT_MS }, signal),
      )
      return { endpoint: booted.endpoint, ipAddress: guestAddress(meta) }
    } catch (error) {
      await terminate(await pidsIn(dir), 3000)
      throw error
    }
  }

  /** The serial console's last lines, for the message about a guest that does not come up. */
  async bootReport(instance: string): Promise<string> {
    if (!VmFolders.isValidName(instance)) return 'the serial console is empty'
    return consoleTail(this.#folders.dir(instance)).catch(() => 'the serial console cannot be read')
  }

  /** True once the guest printed its ready marker on the console in this boot (the log is fresh each boot). */
  async guestBooted(instance: string): Promise<boolean> {
    try {
      const meta = await this.#folders.readMeta(instance)
      if (meta?.readyMarker === undefined) return true
      const dir = this.#folders.dir(instance)
      await pollQemu(dir, { timeoutMs: QMP_TIMEOUT_MS })
      return (await readFile(join(dir, VM_FILES.console), 'latin1')).includes(meta.readyMarker)
    } catch {
      return false
    }
  }

  // Waits until the guest has powered off (QEMU exited, or paused in `shutdown` with `-no-shutdown`), draining
  // its console meanwhile, then ends QEMU. False when the power-off timeout passed first.
  async #poweredOff(instance: string, pid: number, signal: AbortSignal): Promise<boolean> {
    const deadline = performance.now() + this.#o.powerdownTimeoutMs
    while (performance.now() < deadline) {
      if (!(await isAlive(pid))) return true
      const vm = await pollQemu(this.#folders.dir(instance), { timeoutMs: QMP_TIMEOUT_MS, signal }).catch(() => undefined)
      if (vm?.status === 'shutdown') {
        await this.#endPoweredOff(instance, pid)
        return true
      }
      await sleep(250, undefined, { signal })
    }
    return !(await isAlive(pid))
  }

  // A guest that powered off leaves QEMU paused (`-no-shutdown`) once its console was read: end QEMU now.
  async #endPoweredOff(instance: string, pid: number): Promise<void> {
    await this.#qmp(instance, (qmp) => qmp.execute('quit'), AbortSignal.timeout(QMP_TIMEOUT_MS)).catch(() => undefined)
    if (!(await waitForExit(pid, 5000)) && !(await terminate([pid], 3000))) {
      throw new DriverError('FAILED', `the QEMU process ${pid} of ${instance} does not exit after its guest powered off`)
    }
  }

  // Drains a running VM's console into its log, and ends the QEMU of a guest that powered itself off.
  async #tend(instance: string): Promise<void> {
    const dir = this.#folders.dir(instance)
    const pid = await pidFromFile(dir)
    if (pid === undefined) return
    const vm = await pollQemu(dir, { timeoutMs: QMP_TIMEOUT_MS }).catch(() => undefined)
    if (vm === undefined) await capConsoleLog(dir)
    else if (vm.status === 'shutdown') await this.#endPoweredOff(instance, pid)
  }

  async #create(instance: string): Promise<string> {
    try {
      return await this.#folders.create(instance)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new DriverError('FAILED', `VM ${instance} already exists`)
      throw error
    }
  }

  /**
   * On the isolated network, the guest's own address there. On user-mode networking, a loopback port QEMU
   * forwards to the guest's port (made on first use; gone when QEMU ends, so asked for again after each start).
   */
  async guestPortTarget(instance: string, _running: RunningVm, port: GuestPort, signal: AbortSignal): Promise<SshEndpoint> {
    return this.#translate(`forward of ${port.guest}/${port.protocol}`, instance, {}, async () => {
      const { network } = await this.#meta(instance)
      if (network !== undefined) return { host: network.address, port: port.guest }
      const hostPort = await this.#qmp(instance, (qmp) => forwardGuestPort(qmp, port.protocol, port.guest), signal)
      if (hostPort === undefined) throw new DriverError('FAILED', `QEMU did not report a forward to guest port ${port.guest}/${port.protocol} of ${instance}`)
      return { host: '127.0.0.1', port: hostPort }
    })
  }

  async #meta(instance: string): Promise<VmMeta> {
    const meta = await this.#folders.readMeta(instance)
    if (meta === undefined) throw new DriverError('FAILED', `VM ${instance} does not exist (no ${VM_FILES.meta} in ${this.#o.vmsDir})`)
    return meta
  }

  #qmp<T>(instance: string, fn: Parameters<typeof withQmp<T>>[2], signal: AbortSignal): Promise<T> {
    return withQmp(join(this.#folders.dir(instance), VM_FILES.qmp), { timeoutMs: QMP_TIMEOUT_MS, signal }, fn)
  }

  // Decides the accelerator once; every later boot uses the same decision.
  #accelerator(): Promise<AccelDecision> {
    this.#accel ??= detectAccelerator({ setting: this.#o.accel, qemuBinary: this.#o.binary }).then((d) => {
      this.#o.logger.info({ accelerator: d.accelerator, why: d.reason }, 'qemu accelerator chosen')
      return d
    })
    return this.#accel
  }

  // Drains every running VM's console into its log while the provider runs (see console-log.ts).
  #startConsoleSweep(): void {
    if (this.#sweep !== undefined) return
    this.#sweep = setInterval(() => {
      void this.#folders.list().then(async (names) => {
        for (const name of names) await this.#tend(name).catch(() => undefined)
      })
    }, CONSOLE_SWEEP_MS)
    this.#sweep.unref()
  }

  async #tool(binary: string, args: string[], signal: AbortSignal, fix: string): Promise<string> {
    try {
      return (await run(binary, args, { timeoutMs: this.#o.commandTimeoutMs, signal })).stdout
    } catch (error) {
      const why = error instanceof ExecFailure ? (error.kind === 'spawn' ? 'is missing or not executable' : error.reason) : String(error)
      throw new DriverError('UNAVAILABLE', `${binary} ${why}: ${fix}`, { cause: error })
    }
  }

  // Runs one operation; any failure becomes a DriverError, logged with the phases it got through.
  async #translate<T>(what: string, instance: string, phases: Record<string, number>, fn: () => Promise<T>): Promise<T> {
    const started = performance.now()
    try {
      return await fn()
    } catch (error) {
      const failure = toDriverError(error, `qemu ${what} of ${instance}`)
      this.#o.logger.warn(
        { instance, what, durationMs: Math.round(performance.now() - started), phasesMs: phases, err: failure.message },
        'qemu operation failed',
      )
      throw failure
    }
  }
}
