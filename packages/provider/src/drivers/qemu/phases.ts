/**
 * Phase timing and deadlines: each step of a launch or start records its
 * duration, which the driver logs as `phasesMs` (image, disk, seed, launch,
 * boot); the whole is bounded by the driver's own deadline.
 *
 * @module
 */
import { deadlineSignal } from '@golem-vm/common'

/** Durations in ms by phase name. */
export type Phases = Record<string, number>

/** Runs `fn` and records its duration under `name`, whether it succeeds or not. */
export async function timed<T>(phases: Phases, name: string, fn: () => Promise<T>): Promise<T> {
  const started = performance.now()
  try {
    return await fn()
  } finally {
    phases[name] = Math.round(performance.now() - started)
  }
}

/** The caller's signal, or our own deadline, whichever comes first. */
export function withDeadline(signal: AbortSignal, ms: number): AbortSignal {
  return deadlineSignal(ms, signal)
}
