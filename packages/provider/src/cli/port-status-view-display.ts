/**
 * Shows a port verification run as it happens: in a terminal a live block
 * redrawn in place (spinner, `\r` and ANSI cursor moves), then the coloured
 * summary; elsewhere one plain log line per step, then the plain summary.
 *
 * @module
 */
import type { PortVerificationMode, PortVerificationReport } from '@golem-vm/protocol'
import type { VerificationProgress } from '../app/port-verification.js'
import { applyProgress, initialProgress, isRunning, renderProgress, renderProgressLine, type ProgressState } from './port-status-view-progress.js'
import { renderPlainSummary, renderSummary } from './port-status-view.js'

/** Where the display writes: `process.stdout`, or a test's collector. */
export interface DisplayStream {
  write(chunk: string): unknown
  readonly isTTY?: boolean
}

export interface DisplayOptions {
  readonly servers: readonly string[]
  readonly mode: PortVerificationMode
  /** Most VMs at once (MAX_VMS), for "can handle up to". */
  readonly vmLimit?: number
  /** Spinner step in a terminal (default 100 ms); 0 turns the spinner timer off. */
  readonly spinnerMs?: number
  /** Colours in a terminal (default true); never outside one. */
  readonly color?: boolean
}

const CLEAR_LINE = '\r\x1b[2K'
const up = (lines: number): string => (lines > 0 ? `\x1b[${lines}A` : '')

/**
 * One run's display. Pass {@link PortStatusDisplay.progress} as the run's
 * progress callback, then call {@link PortStatusDisplay.finish} with the
 * report. The spinner timer never keeps the process alive.
 */
export class PortStatusDisplay {
  readonly #out: DisplayStream
  readonly #o: DisplayOptions
  readonly #live: boolean
  #state: ProgressState
  #frame = 0
  #drawn = 0
  #timer: NodeJS.Timeout | undefined

  constructor(out: DisplayStream, options: DisplayOptions) {
    this.#out = out
    this.#o = options
    this.#live = out.isTTY === true
    this.#state = initialProgress(options.servers, options.mode)
  }

  /** The progress callback for the verification run. */
  readonly progress = (event: VerificationProgress): void => {
    this.#state = applyProgress(this.#state, event)
    if (!this.#live) {
      this.#out.write(`${renderProgressLine(event)}\n`)
      return
    }
    this.#redraw()
    this.#spin()
  }

  /** Ends the live block and writes the summary of `report`. */
  finish(report: PortVerificationReport): void {
    this.stop()
    if (!this.#live) {
      this.#out.write(`${renderPlainSummary(report, this.#vmLimit())}\n`)
      return
    }
    this.#redraw()
    this.#out.write(`\n${renderSummary(report, { color: this.#o.color ?? true, ...this.#vmLimit() })}\n`)
  }

  /** Stops the spinner; the block stays as last drawn. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
  }

  #vmLimit(): { vmLimit?: number } {
    return this.#o.vmLimit === undefined ? {} : { vmLimit: this.#o.vmLimit }
  }

  // Moves the cursor back to the top of the block and writes every line again.
  #redraw(): void {
    const text = renderProgress(this.#state, { frame: this.#frame, color: this.#o.color ?? true })
    const lines = text.split('\n')
    this.#out.write(`${up(this.#drawn)}${lines.map((l) => `${CLEAR_LINE}${l}\n`).join('')}`)
    this.#drawn = lines.length
  }

  #spin(): void {
    const ms = this.#o.spinnerMs ?? 100
    if (!isRunning(this.#state)) return this.stop()
    if (this.#timer !== undefined || ms <= 0) return
    this.#timer = setInterval(() => {
      this.#frame++
      this.#redraw()
    }, ms)
    this.#timer.unref()
  }
}
