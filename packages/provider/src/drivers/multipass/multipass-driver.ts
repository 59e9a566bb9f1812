/**
 * The Multipass backend: drives the `multipass` CLI, asynchronously and with
 * timeouts, so a slow launch never blocks the provider.
 *
 * @module
 */
import type { Logger } from 'pino'
import { ProviderError } from '../../domain/errors.js'
import { INSTANCE_PREFIX } from '../../domain/vm.js'
import { ExecFailure, run, type RunResult } from '../../infra/exec/run.js'
import type { DriverInfo, DriverInstance, DriverVmState, LaunchSpec, RunningVm, VmDriver } from '../driver.js'
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
      throw new ProviderError('BACKEND_UNAVAILABLE', `multipass at ${this.opts.binary} does not work: ${reason(error)}; install Multipass or choose GOLEM_PROVIDER_BACKEND=qemu`, [], { cause: error })
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
      await this.#run(cli.deleteArgs(instance), signal)
    } catch (error) {
      if (error instanceof ProviderError && error.cause instanceof ExecFailure && cli.isMissingInstance(error.cause.stderr)) return
      throw error
    }
  }

  async inspect(instance: string, signal: AbortSignal): Promise<DriverVmState> {
    let result: RunResult
    try {
      result = await this.#run(cli.infoArgs(instance), signal)
    } catch (error) {
      if (error instanceof ProviderError && error.cause instanceof ExecFailure && cli.isMissingInstance(error.cause.stderr)) {
        return { kind: 'absent' }
      }
      throw error
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
    throw new ProviderError('BACKEND_FAILED', `multipass reports that ${instance} ${what} after it was started`)
  }

  // Runs one multipass command, logs it with its duration, and translates failures.
  async #run(args: string[], signal: AbortSignal, timeoutMs = this.opts.commandTimeoutMs, input?: string): Promise<RunResult> {
    const started = performance.now()
    const log = this.opts.logger
    try {
      const result = await run(this.opts.binary, args, { timeoutMs, signal, input })
      log.info({ backend: 'multipass', command: args[0], instance: args[1], durationMs: Math.round(result.durationMs) }, 'backend call')
      return result
    } catch (error) {
      const durationMs = Math.round(performance.now() - started)
      log.info({ backend: 'multipass', args, durationMs, err: reason(error) }, 'backend call failed')
      throw translate(error, args[0] ?? '')
    }
  }
}

const reason = (error: unknown) =>
  error instanceof ExecFailure ? error.reason : error instanceof Error ? error.message : String(error)

function translate(error: unknown, command: string): ProviderError {
  if (!(error instanceof ExecFailure)) return new ProviderError('BACKEND_FAILED', `multipass ${command} failed: ${reason(error)}`, [], { cause: error })
  if (error.kind === 'timeout' || (error.kind === 'exit' && error.exitCode === TIMEOUT_EXIT_CODE)) {
    return new ProviderError('BACKEND_TIMEOUT', `multipass ${command} did not finish in time: ${error.reason}`, [], { cause: error })
  }
  if (error.kind === 'spawn') return new ProviderError('BACKEND_UNAVAILABLE', `multipass could not be run: ${error.argv[0] ?? ''} is missing or not executable`, [], { cause: error })
  return new ProviderError('BACKEND_FAILED', `multipass ${command} failed: ${error.reason}`, [], { cause: error })
}

function parse<T>(fn: () => T, what: string): T {
  try {
    return fn()
  } catch (error) {
    throw new ProviderError('BACKEND_FAILED', `multipass ${what} printed output this provider cannot read`, [], { cause: error })
  }
}
