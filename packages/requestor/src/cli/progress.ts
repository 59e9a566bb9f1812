/**
 * Progress while the CLI waits for a provider: on a terminal a spinner with
 * the elapsed time, rewritten in place; otherwise one line per phase and a
 * "still waiting" line every {@link PLAIN_INTERVAL_MS}. Written to stderr so
 * it never mixes with `--json` output.
 *
 * @module
 */
import type { Io } from './output.js'

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']
const TTY_INTERVAL_MS = 100
/** How often a plain (non-terminal) display reports that it is still waiting. */
export const PLAIN_INTERVAL_MS = 30_000

/** A running progress display. */
export interface Progress {
  /** Shows a new phase (the elapsed time keeps counting). */
  phase(label: string): void
  /** Removes the spinner; idempotent. */
  stop(): void
}

const seconds = (since: number): string => `${Math.floor((Date.now() - since) / 1000)} s`

/** Starts a progress display on `io.stderr`. */
export function startProgress(io: Io, label: string): Progress {
  const started = Date.now()
  let current = label
  let frame = 0
  const tty = io.stderr.isTTY === true
  const draw = (): void => {
    if (tty) io.stderr.write(`\r\x1b[K${FRAMES[frame++ % FRAMES.length] ?? ''} ${current} (${seconds(started)})`)
    else io.stderr.write(`… still ${current} (${seconds(started)})\n`)
  }
  if (!tty) io.stderr.write(`${current}…\n`)
  let timer: NodeJS.Timeout | undefined = setInterval(draw, tty ? TTY_INTERVAL_MS : PLAIN_INTERVAL_MS)
  timer.unref()
  return {
    phase: (next) => {
      current = next
      if (!tty) io.stderr.write(`${current}…\n`)
    },
    stop: () => {
      if (timer === undefined) return
      clearInterval(timer)
      timer = undefined
      if (tty) io.stderr.write('\r\x1b[K')
    },
  }
}

/**
 * Runs `work` with an abort signal that the first Ctrl-C fires (a second
 * Ctrl-C exits at once), so a long wait can be left cleanly.
 */
export async function interruptible<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController()
  const onSignal = (): void => {
    if (controller.signal.aborted) process.exit(130)
    controller.abort()
  }
  process.on('SIGINT', onSignal)
  try {
    return await work(controller.signal)
  } finally {
    process.off('SIGINT', onSignal)
  }
}
