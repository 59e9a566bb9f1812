/**
 * The Multipass backend: drives the `multipass` CLI, asynchronously and with
 * timeouts, so a slow launch never blocks the provider.
 *
 * @module
 */
import type { Logger } from 'pino'
import { INSTANCE_PREFIX } from '../../domain/vm.js'
import { ExecFailure, run, type RunResult } from '../../infra/exec/run.js'
import { DriverError, type DriverInfo, type DriverInstance, type DriverVmState, type LaunchSpec, type RunningVm, type VmDriver } from '../driver.js'
import { toDriverError } from '../driver-error.js'
import * as cli from './multipass-cli.js'

/** Multipass exits with this code when its own `--timeout` fires. */
const TIMEOUT_EXIT_CODE = 5

export interface MultipassDriverOptions {
  readonly binary: string
  readonly logger: Logger
  /** Longest a launch may take (image download and first boot included). */
  readonly launchTimeoutMs: number
  /** Longest any other command may take. */
  readonly commandTimeoutMs: number
}

export class MultipassDriver implements VmDriver {
  readonly name = 'multipass' as const

  constructor(private readonly opts: MultipassDriverOptions) {}

  async probe(signal: AbortSignal): Promise<DriverInfo> {
    let version: string
    try {
      version = cli.parseVersion((await this.#run(cli.versionArgs(), signal)).stdout)
    } catch (error) {
      throw new DriverError('UNAVAILABLE', `multipass at ${this.opts.binary} does not work: ${reason(error)}; install Multipass or choose GOLEM_PROVIDER_BACKEND=qemu`, { cause: error })
    }
    return { name: 'multipass', version, detail: `multipass ${version} (${this.opts.binary})` }
  }

  async launch(spec: LaunchSpec, signal: AbortSignal): Promise<RunningVm> {
    const timeoutS = Math.ceil(this.opts.launchTimeoutMs / 1000)
    await this.#run(cli.launchArgs(spec, timeoutS), signal, this.opts.launchTimeoutMs + 30_000, spec.cloudInit.userData)
    return this.#running(spec.instance, signal)
  }

  async start(instance: string, signal: AbortSignal): Promise<RunningVm> {
    await this.#run(cli.startArgs(instance), signal, this.opts.launchTimeoutMs)
    return this.#running(instance, signal)
  }

  async stop(instance: string, signal: AbortSignal): Promise<void> {
    try {
      await this.#run(cli.stopArgs(instance, false), signal)
    } catch (error) {
      if (signal.aborted) throw error
      this.opts.logger.warn({ instance, err: reason(error) }, 'clean stop failed, forcing')
      await this.#run(cli.stopArgs(instance, true), signal)
    }
  }

  async destroy(instance: string, signal: AbortSignal): Promise<void> {
    try {
      await this.#exec(cli.deleteArgs(instance), signal)
    } catch (error) {
      if (isMissingInstance(error)) return
      throw failure(error, 'delete')
    }
  }

  async inspect(instance: string, signal: AbortSignal): Promise<DriverVmState> {
    let result: RunResult
    try {
      result = await this.#exec(cli.infoArgs(instance), signal)
    } catch (error) {
      if (isMissingInstance(error)) return { kind: 'absent' }
      throw failure(error, 'info')
    }
    const info = parse(() => cli.parseInfo(result.stdout, instance), 'info')
    return info === undefined ? { kind: 'absent' } : cli.toDriverState(info)
  }

  async list(signal: AbortSignal): Promise<DriverInstance[]> {
    const { stdout } = await this.#run(cli.listArgs(), signal)
    return parse(() => cli.parseList(stdout), 'list')
      .filter((vm) => vm.name.startsWith(INSTANCE_PREFIX))
      .map((vm) => ({ instance: vm.name, state: cli.toDriverState(vm.info).kind }))
  }

  // Reads the instance's address once Multipass reports it running.
  async #running(instance: string, signal: AbortSignal): Promise<RunningVm> {
    const state = await this.inspect(instance, signal)
    if (state.kind === 'running') return { endpoint: state.endpoint, ipAddress: state.ipAddress }
    const what = state.kind === 'other' ? `is ${state.detail} without an IPv4 address` : `is ${state.kind}`
    throw new DriverError('FAILED', `multipass reports that ${instance} ${what} after it was started`)
  }

  // Runs one multipass command; a failure becomes a DriverError.
  async #run(args: string[], signal: AbortSignal, timeoutMs = this.opts.commandTimeoutMs, input?: string): Promise<RunResult> {
    try {
      return await this.#exec(args, signal, timeoutMs, input)
    } catch (error) {
      throw failure(error, args[0] ?? '')
    }
  }

  // Runs one multipass command and logs it with its duration; a failure is the process's own (ExecFailure).
  async #exec(args: string[], signal: AbortSignal, timeoutMs = this.opts.commandTimeoutMs, input?: string): Promise<RunResult> {
    const started = performance.now()
    const log = this.opts.logger
    try {
      const result = await run(this.opts.binary, args, { timeoutMs, signal, input })
      log.info({ backend: 'multipass', command: args[0], instance: args[1], durationMs: Math.round(result.durationMs) }, 'backend call')
      return result
    } catch (error) {
      log.info({ backend: 'multipass', args, durationMs: Math.round(performance.now() - started), err: reason(error) }, 'backend call failed')
      throw error
    }
  }
}

const reason = (error: unknown) =>
  error instanceof ExecFailure ? error.reason : error instanceof Error ? error.message : String(error)

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
