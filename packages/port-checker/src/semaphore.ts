/**
 * A counting semaphore: at most `capacity` holders at a time, waiters served
 * first come, first served.
 *
 * @module
 */

/** Gives a slot back. Calling it more than once has no further effect. */
export type Release = () => void

interface Waiter {
  readonly grant: (release: Release) => void
}

/** Bounds how many operations run at once; used for the checker-wide cap on simultaneous TCP connects. */
export class Semaphore {
  #free: number
  readonly #waiters: Waiter[] = []

  /** @param capacity how many holders may hold a slot at once; a whole number of at least 1. */
  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a whole number >= 1 (got ${capacity})`)
    this.#free = capacity
  }

  /** Slots held right now. */
  get inUse(): number {
    return this.capacity - this.#free
  }

  /** Callers waiting for a slot right now. */
  get waiting(): number {
    return this.#waiters.length
  }

  /**
   * Resolves with a release function once a slot is held. Rejects with
   * `signal.reason` if `signal` aborts first (and then holds nothing, so
   * nothing needs releasing).
   */
  acquire(signal?: AbortSignal): Promise<Release> {
    if (signal?.aborted === true) return Promise.reject(signal.reason as Error)
    if (this.#free > 0) {
      this.#free -= 1
      return Promise.resolve(this.#releaser())
    }
    return this.#wait(signal)
  }

  #wait(signal: AbortSignal | undefined): Promise<Release> {
    return new Promise<Release>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.#waiters.indexOf(waiter)
        if (index >= 0) this.#waiters.splice(index, 1)
        reject(signal?.reason as Error)
      }
      const waiter: Waiter = {
        grant: (release) => {
          signal?.removeEventListener('abort', onAbort)
          resolve(release)
        },
      }
      this.#waiters.push(waiter)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  // A release hands the slot straight to the first waiter, so no newcomer can overtake it.
  #releaser(): Release {
    let released = false
    return () => {
      if (released) return
      released = true
      const next = this.#waiters.shift()
      if (next === undefined) this.#free += 1
      else next.grant(this.#releaser())
    }
  }
}
