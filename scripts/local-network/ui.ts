/**
 * Output of the local network. In a terminal: log lines scroll above a
 * compact status block that is redrawn in place about once a second (the
 * components, the VMs, and a spinner with the elapsed time for each slow
 * step). Elsewhere (CI, a pipe): plain timestamped lines only, no escape
 * codes; slow steps print a start line, a "still …" line every 30 s and a
 * done line with the time taken.
 *
 * @module
 */

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']
const REDRAW_MS = 250
const PLAIN_STILL_MS = 30_000

/** Text styles; identity functions when colours are off. */
export interface Styles {
  readonly bold: (s: string) => string
  readonly dim: (s: string) => string
  readonly green: (s: string) => string
  readonly yellow: (s: string) => string
  readonly red: (s: string) => string
  readonly cyan: (s: string) => string
}

const sgr =
  (open: number, close: number) =>
  (s: string): string =>
    `\x1b[${open}m${s}\x1b[${close}m`
const plain = (s: string): string => s

/** Seconds with one decimal: "12.3 s". */
export const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`

/** A slow step in progress. */
export interface Step {
  /** Shows a detail (a phase, the latest line of a build log). */
  update(detail: string): void
  /** Ends the step; logs it with the time it took (and `summary`). Returns the duration in ms. */
  done(summary?: string): number
  /** Ends the step as failed. */
  fail(reason: string): number
}

interface ActiveStep {
  readonly label: string
  readonly started: number
  detail: string
  lastPlain: number
}

// Visible width of a string, ignoring SGR escape codes (every character counted as one column).
const SGR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g')
const visible = (s: string): number => s.replace(SGR, '').length

// Cuts a styled line to `width` visible columns (closing any open style).
function fit(line: string, width: number): string {
  if (visible(line) <= width) return line
  let out = ''
  let shown = 0
  for (let i = 0; i < line.length && shown < width - 1; i++) {
    if (line[i] === '\x1b') {
      const end = line.indexOf('m', i)
      if (end === -1) break
      out += line.slice(i, end + 1)
      i = end
      continue
    }
    out += line[i] ?? ''
    shown++
  }
  return `${out}…\x1b[0m`
}

export class Ui {
  readonly tty: boolean
  readonly style: Styles
  readonly #out: NodeJS.WriteStream
  readonly #steps = new Set<ActiveStep>()
  #block: () => string[] = () => []
  #drawn = 0
  #frame = 0
  #timer: NodeJS.Timeout | undefined
  #plainTimer: NodeJS.Timeout | undefined
  /** After stop(): plain lines, no block. */
  #stopped = false

  constructor(out: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env) {
    this.#out = out
    this.tty = out.isTTY && env.TERM !== 'dumb'
    const colour = this.tty && env.NO_COLOR === undefined
    this.style = colour
      ? { bold: sgr(1, 22), dim: sgr(2, 22), green: sgr(32, 39), yellow: sgr(33, 39), red: sgr(31, 39), cyan: sgr(36, 39) }
      : { bold: plain, dim: plain, green: plain, yellow: plain, red: plain, cyan: plain }
  }

  /** Starts redrawing the status block (terminal) or the "still …" lines (plain). */
  start(render: () => string[]): void {
    this.#block = render
    if (this.tty) {
      this.#timer = setInterval(() => this.#redraw(), REDRAW_MS)
      this.#timer.unref()
    } else {
      this.#plainTimer = setInterval(() => this.#still(), 1000)
      this.#plainTimer.unref()
    }
  }

  /** Stops redrawing and erases the status block; later lines are plain. Idempotent. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    if (this.#plainTimer !== undefined) clearInterval(this.#plainTimer)
    this.#timer = undefined
    this.#plainTimer = undefined
    if (this.tty && !this.#stopped) this.#erase()
    this.#drawn = 0
    this.#stopped = true
  }

  /** A permanent line (several, if it holds line breaks). */
  log(text: string): void {
    const lines = text.split('\n')
    if (this.tty && this.#stopped) {
      this.#write(lines.map((l) => `${l}\n`).join(''))
    } else if (this.tty) {
      this.#write(`${this.#eraseCodes()}${lines.map((l) => `${l}\n`).join('')}${this.#blockText()}`)
    } else {
      const stamp = new Date().toTimeString().slice(0, 8)
      this.#write(lines.map((l) => `[${stamp}] ${l}\n`).join(''))
    }
  }

  /** A line that says something went wrong. */
  warn(text: string): void {
    this.log(this.style.yellow(`! ${text}`))
  }

  /** Starts a slow step; the terminal shows it with a spinner and its elapsed time. */
  step(label: string): Step {
    const active: ActiveStep = { label, started: performance.now(), detail: '', lastPlain: performance.now() }
    this.#steps.add(active)
    if (!this.tty || this.#stopped) this.log(`… ${label}`)
    else this.#redraw()
    let ended = false
    const end = (ok: boolean, text: string | undefined): number => {
      const ms = performance.now() - active.started
      if (ended) return ms
      ended = true
      this.#steps.delete(active)
      const mark = ok ? this.style.green('✓') : this.style.red('✗')
      this.log(`${mark} ${label}: ${ok ? 'done' : 'failed'} in ${seconds(ms)}${text === undefined ? '' : ` — ${text}`}`)
      return ms
    }
    return {
      update: (detail) => {
        if (detail === active.detail) return
        active.detail = detail
        if (!this.tty) this.log(`  ${detail}`)
      },
      done: (summary) => end(true, summary),
      fail: (reason) => end(false, reason),
    }
  }

  #still(): void {
    const now = performance.now()
    for (const step of this.#steps) {
      if (now - step.lastPlain < PLAIN_STILL_MS) continue
      step.lastPlain = now
      this.log(`… still ${step.label} (${Math.round((now - step.started) / 1000)} s)`)
    }
  }

  #write(text: string): void {
    this.#out.write(text)
  }

  #eraseCodes(): string {
    return this.#drawn === 0 ? '\r\x1b[J' : `\r\x1b[${this.#drawn}A\x1b[J`
  }

  #erase(): void {
    this.#write(this.#eraseCodes())
  }

  // The status block with the active steps under it, fitted to the terminal width; remembers its height.
  #blockText(): string {
    const width = Math.max(40, this.#out.columns)
    const spinner = FRAMES[this.#frame % FRAMES.length] ?? '*'
    const now = performance.now()
    const steps = [...this.#steps].map(
      (s) =>
        `${this.style.cyan(spinner)} ${s.label}${s.detail === '' ? '' : this.style.dim(` · ${s.detail}`)} ${this.style.bold(`${Math.floor((now - s.started) / 1000)} s`)}`,
    )
    const lines = [...this.#block(), ...steps].map((l) => fit(l, width - 1))
    this.#drawn = lines.length
    return lines.map((l) => `${l}\n`).join('')
  }

  #redraw(): void {
    this.#frame++
    this.#write(`${this.#eraseCodes()}${this.#blockText()}`)
  }
}
