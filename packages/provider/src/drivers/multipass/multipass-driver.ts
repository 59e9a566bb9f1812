/**
 * The Multipass backend: drives the `multipass` CLI, asynchronously and with
 * timeouts, so a slow launch never blocks the provider.
 *
 * @module
 */
import type { VmResources } from '@golem-vm/protocol'
import type { Logger } from 'pino'
import type { GuestPort } from '../../domain/port-mappings.js'
import { INSTANCE_PREFIX, type SshEndpoint } from '../../domain/vm.js'
import { ExecFailure, run, type RunResult } from '../../infra/exec/run.js'
import { DriverError, type DriverInfo, type DriverInstance, type DriverVmState, type LaunchSpec, type RunningVm, type VmDriver } from '../driver.js'
import { toDriverError } from '../driver-error.js'
import * as cli from './multipass-cli.js'
import { describeNetwork, detectBridgeSubnets, MULTIPASS_BRIDGES, vmNetwork, type Subnet, type VmNetwork } from './vm-network.js'

/** Multipass exits with this code when its own `--timeout` fires. */
const TIMEOUT_EXIT_CODE = 5

export interface MultipassDriverOptions {
  readonly binary: string
  readonly logger: Logger
  /** Longest a launch may take (image download and first boot included). */
  readonly launchTimeoutMs: number
  /** Longest any other command may take. */
  readonly commandTimeoutMs: number
  /** Multipass's VM network (GOLEM_PROVIDER_MULTIPASS_NETWORK), or 'auto': the subnet of its bridge on this host. */
  readonly network: readonly Subnet[] | 'auto'
}

/** One multipass command: its argv, the instance it is about (for the log), its deadline and stdin. */
interface BackendCall {
  readonly args: string[]
  readonly instance?: string
  readonly timeoutMs?: number
  readonly input?: string
}

// Leaves out the figures the backend did not report.
const withoutUnknown = (r: { [K in keyof VmResources]: number | undefined }): Partial<VmResources> =>
  Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined && v > 0))

export class MultipassDriver implements VmDriver {
  readonly name = 'multipass' as const
  #network: VmNetwork | undefined

  constructor(private readonly opts: MultipassDriverOptions) {}

  // The network SSH forwards may point into; found once (the bridge exists while multipassd runs).
  #vmNetwork(): VmNetwork {
    if (this.#network !== undefined) return this.#network
    const subnets = this.opts.network === 'auto' ? detectBridgeSubnets() : this.opts.network
    if (subnets.length === 0) {
      throw new DriverError(
        'UNAVAILABLE',
        `Multipass's VM network was not found (no ${MULTIPASS_BRIDGES.join(' or ')} interface with an IPv4 address on this host); start multipassd, or set GOLEM_PROVIDER_MULTIPASS_NETWORK to the subnet its VMs get addresses from (e.g. 10.13.177.0/24)`,
      )
    }
    this.#network = vmNetwork(subnets)
    return this.#network
  }

  async probe(signal: AbortSignal): Promise<DriverInfo> {
    let version: string
    try {
      version = cli.parseVersion((await this.#run({ args: cli.versionArgs() }, signal)).stdout)
    } catch (error) {
      throw new DriverError(
        'UNAVAILABLE',
        `multipass at ${this.opts.binary} does not work: ${reason(error)}; install Multipass or choose GOLEM_PROVIDER_BACKEND=qemu`,
        { cause: error },
      )
    }
    const network = this.#vmNetwork()
    return { name: 'multipass', version, detail: `multipass ${version} (${this.opts.binary}), VM network ${describeNetwork(network)}` }
  }

  async launch(spec: LaunchSpec, signal: AbortSignal): Promise<RunningVm> {
    const timeoutS = Math.ceil(this.opts.launchTimeoutMs / 1000)
    await this.#run(
      { args: cli.launchArgs(spec, timeoutS), instance: spec.instance, timeoutMs: this.opts.launchTimeoutMs + 30_000, input: spec.cloudInit.userData },
      signal,
    )
    return this.#running(spec.instance, signal)
  }

  async start(instance: string, signal: AbortSignal): Promise<RunningVm> {
    await this.#run({ args: cli.startArgs(instance), instance, timeoutMs: this.opts.launchTimeoutMs }, signal)
    return this.#running(instance, signal)
  }

  async stop(instance: string, signal: AbortSignal): Promise<void> {
    try {
      await this.#run({ args: cli.stopArgs(instance, false), instance }, signal)
    } catch (error) {
      if (signal.aborted) throw error
      this.opts.logger.warn({ instance, err: reason(error) }, 'clean stop failed, forcing')
      await this.#run({ args: cli.stopArgs(instance, true), instance }, signal)
    }
  }

  async destroy(instance: string, signal: AbortSignal): Promise<void> {
    try {
      await this.#exec({ args: cli.deleteArgs(instance), instance }, signal)
    } catch (error) {
      if (isMissingInstance(error)) return
      throw failure(error, 'delete')
    }
  }

  async inspect(instance: string, signal: AbortSignal): Promise<DriverVmState> {
    let result: RunResult
    try {
      result = await this.#exec({ args: cli.infoArgs(instance), instance }, signal)
    } catch (error) {
      if (isMissingInstance(error)) return { kind: 'absent' }
      throw failure(error, 'info')
    }
    const info = parse(() => cli.parseInfo(result.stdout, instance), 'info')
    return info === undefined ? { kind: 'absent' } : cli.toDriverState(info, this.#vmNetwork())
  }

  async list(signal: AbortSignal): Promise<DriverInstance[]> {
    const { stdout } = await this.#run({ args: cli.listArgs() }, signal)
    return parse(() => cli.parseList(stdout), 'list')
      .filter((vm) => vm.name.startsWith(INSTANCE_PREFIX))
      .map((vm) => ({ instance: vm.name, state: cli.toDriverState(vm.info, this.#vmNetwork()).kind }))
  }

  /** From `multipass info`: cores, memory and disk totals (a stopped instance reports no CPU or memory). */
  async holdings(instance: string, signal: AbortSignal): Promise<Partial<VmResources>> {
    const { stdout } = await this.#run({ args: cli.infoArgs(instance), instance }, signal)
    const info = parse(() => cli.parseInfo(stdout, instance), 'info')
    const gb = (bytes: number | null | undefined) => (bytes ? Math.ceil(bytes / 1024 ** 3) : undefined)
    return withoutUnknown({ cpu: info?.cpuCount ?? undefined, memory: gb(info?.memoryBytes), storage: gb(info?.diskBytes) })
  }

  /** The guest's own address on Multipass's VM network (the one the SSH forward was checked to use), at `port`. */
  guestPortTarget(_instance: string, running: RunningVm, port: GuestPort): Promise<SshEndpoint> {
    return Promise.resolve({ host: running.endpoint.host, port: port.guest })
  }

  // Reads the instance's address once Multipass reports it running.
  async #running(instance: string, signal: AbortSignal): Promise<RunningVm> {
    const state = await this.inspect(instance, signal)
    if (state.kind === 'running') return { endpoint: state.endpoint, ipAddress: state.ipAddress }
    const what =
      state.kind === 'other'
        ? state.detail.startsWith('Running, but')
          ? `is ${state.detail}`
          : `is ${state.detail} without an IPv4 address`
        : `is ${state.kind}`
    throw new DriverError('FAILED', `multipass reports that ${instance} ${what} after it was started`)
  }

  // Runs one multipass command; a failure becomes a DriverError.
  async #run(call: BackendCall, signal: AbortSignal): Promise<RunResult> {
    try {
      return await this.#exec(call, signal)
    } catch (error) {
      throw failure(error, call.args[0] ?? '')
    }
  }

  // Runs one multipass command and logs it (with the instance it is about, if any) and its duration; a failure is the process's own (ExecFailure).
  async #exec(call: BackendCall, signal: AbortSignal): Promise<RunResult> {
    const { args, instance, timeoutMs = this.opts.commandTimeoutMs, input } = call
    const started = performance.now()
    const log = this.opts.logger
    const about = { backend: 'multipass', command: args[0], ...(instance === undefined ? {} : { instance }) }
    try {
      const result = await run(this.opts.binary, args, { timeoutMs, signal, input })
      log.info({ ...about, durationMs: Math.round(result.durationMs) }, 'backend call')
      return result
    } catch (error) {
      log.info({ ...about, args, durationMs: Math.round(performance.now() - started), err: reason(error) }, 'backend call failed')
      throw error
    }
  }
}

const reason = (error: unknown) => (error instanceof ExecFailure ? error.reason : error instanceof Error ? error.message : String(error))

const failure = (error: unknown, command: string) => toDriverError(error, `multipass ${command}`, { timeoutExitCode: TIMEOUT_EXIT_CODE })

// Multipass says so on stderr when the named instance does not exist.
const isMissingInstance = (error: unknown): boolean => error instanceof ExecFailure && cli.isMissingInstance(error.stderr)

function parse<T>(fn: () => T, what: string): T {
  try {
    return fn()
  } catch (error) {
    throw new DriverError('FAILED', `multipass ${what} printed output this provider cannot read`, { cause: error })
  }
}
