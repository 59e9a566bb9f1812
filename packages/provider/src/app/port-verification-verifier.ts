/**
 * Holds the provider's current port verification and keeps it fresh:
 * re-verifies periodically (and when asked: compose asks when the public
 * address changes), and tells the rest of the provider when the usable ports
 * change, so admission and the advertised capacity follow.
 *
 * @module
 */
import type { PortVerificationReport } from '@golem-vm/protocol'
import { verifyPorts, type PortVerificationDeps, type PortVerificationSettings, type VerificationProgress } from './port-verification.js'

export interface PortVerifierOptions {
  readonly settings: PortVerificationSettings
  /** The adapters; where the API server listens is what `start` is told. */
  readonly deps: Omit<PortVerificationDeps, 'apiListener'>
  /** Called after a run whose usable ports or readiness differ from the run before. */
  readonly onChange?: (report: PortVerificationReport) => void
  /** Called after every finished run (telemetry counts them). */
  readonly onReport?: (report: PortVerificationReport) => void
}

export interface StartOptions {
  /** Re-verify this often; 0 turns periodic runs off. */
  readonly intervalMs: number
  /** The port the API server listens on now: later checks count it as held, never bind it. */
  readonly apiPort: number
}

const usableKey = (r: PortVerificationReport | undefined): string => (r === undefined ? '' : `${r.ready}:${r.ssh_ports.usable.join(',')}`)

const diff = (a: readonly number[], b: readonly number[]): number[] => {
  const other = new Set(b)
  return a.filter((p) => !other.has(p))
}

/**
 * The usable SSH ports of the latest verification. Only one run happens at a
 * time; while one runs, the ports it binds temporarily are left out of
 * {@link PortVerifier.usable}, so admission never hands out a port a check holds.
 */
export class PortVerifier {
  readonly #o: PortVerifierOptions
  readonly #checking = new Set<number>()
  readonly #stopped = new AbortController()
  readonly #timers: NodeJS.Timeout[] = []
  #apiPort: number | null = null
  #report: PortVerificationReport | undefined
  #running: Promise<PortVerificationReport> | undefined

  constructor(options: PortVerifierOptions) {
    this.#o = options
  }

  /** The latest report; undefined before the first run has finished. */
  report(): PortVerificationReport | undefined {
    return this.#report
  }

  /** Ports that may be handed to a VM now, in range order: verified, and not held by a running check. */
  usable(): number[] {
    return (this.#report?.ssh_ports.usable ?? []).filter((p) => !this.#checking.has(p))
  }

  /** True while a verification runs. */
  checking(): boolean {
    return this.#running !== undefined
  }

  /**
   * Runs a verification now (the first one too) and resolves with its
   * report; a call while one runs joins that run. Rejects only when the
   * verifier is stopped or an adapter fails unexpectedly.
   */
  reverify(onProgress?: (event: VerificationProgress) => void): Promise<PortVerificationReport> {
    if (this.#stopped.signal.aborted) return Promise.reject(new Error('the port verifier is stopped'))
    this.#running ??= this.#run(onProgress).finally(() => {
      this.#running = undefined
      this.#checking.clear()
    })
    return this.#running
  }

  async #run(onProgress: ((event: VerificationProgress) => void) | undefined): Promise<PortVerificationReport> {
    const previous = this.#report
    const report = await verifyPorts(
      this.#o.settings,
      { ...this.#o.deps, apiListener: () => this.#apiPort },
      {
        signal: this.#stopped.signal,
        ...(previous === undefined ? {} : { previous }),
        ...(onProgress === undefined ? {} : { onProgress }),
        onHold: (ports) => {
          for (const p of ports) this.#checking.add(p)
        },
      },
    )
    if (this.#stopped.signal.aborted) return report
    this.#report = report
    this.#o.onReport?.(report)
    this.#logChange(previous, report)
    if (usableKey(previous) !== usableKey(report)) this.#o.onChange?.(report)
    return report
  }

  #logChange(previous: PortVerificationReport | undefined, report: PortVerificationReport): void {
    const log = this.#o.deps.logger
    const closed = diff(previous?.ssh_ports.usable ?? [], report.ssh_ports.usable)
    const opened = previous === undefined ? [] : diff(report.ssh_ports.usable, previous.ssh_ports.usable)
    if (closed.length > 0) log.warn({ ports: closed }, 'SSH ports no longer verified; they are not offered any more')
    if (opened.length > 0) log.info({ ports: opened }, 'SSH ports newly verified; they are offered now')
    if (!report.ready) log.error({ problems: report.problems }, 'port verification: renters cannot use this provider')
    else
      log.info({ mode: report.mode, usable: report.ssh_ports.usable.length, publicIp: report.public_ip, warnings: report.warnings }, 'port verification done')
  }

  /** Notes where the API listens, then re-verifies every `intervalMs`. The timer never keeps the process alive. */
  start(options: StartOptions): void {
    this.#apiPort = options.apiPort
    if (this.#stopped.signal.aborted || this.#timers.length > 0 || options.intervalMs <= 0) return
    const timer = setInterval(() => void this.recheck(), options.intervalMs)
    timer.unref()
    this.#timers.push(timer)
  }

  /** Re-verifies in the background (joining a run under way); a failure is logged, never thrown. */
  async recheck(): Promise<void> {
    try {
      await this.reverify()
    } catch (error) {
      if (!this.#stopped.signal.aborted) this.#o.deps.logger.error({ err: error }, 'port re-verification failed')
    }
  }

  /** Stops the timers, cancels a running check and waits until its temporary listeners are closed. */
  async stop(): Promise<void> {
    for (const timer of this.#timers.splice(0)) clearInterval(timer)
    this.#stopped.abort()
    await this.#running?.catch(() => undefined)
  }
}
