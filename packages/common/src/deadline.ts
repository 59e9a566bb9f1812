/**
 * Deadlines as abort signals.
 *
 * @module
 */

/**
 * A signal that aborts after `ms`, or when any of `signals` aborts. Node 20's
 * `AbortSignal.any` holds its sources only weakly: a timeout signal with no
 * listener of its own can be garbage-collected and then never fires, so the
 * deadline would silently vanish. The listener added here keeps it alive.
 */
export function deadlineSignal(ms: number, ...signals: AbortSignal[]): AbortSignal {
  const timeout = AbortSignal.timeout(ms)
  timeout.addEventListener('abort', () => undefined, { once: true })
  return signals.length === 0 ? timeout : AbortSignal.any([...signals, timeout])
}
