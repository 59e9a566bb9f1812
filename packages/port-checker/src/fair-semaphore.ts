/**
 * A counting semaphore shared fairly between callers: at most `capacity`
 * holders at a time, and when a slot frees it goes to the waiting caller that
 * holds the fewest slots (among equals, the one whose oldest waiter came
 * first). So a caller that queues thousands of connects cannot make another
 * caller's few wait behind them: the newcomer gets the next free slot.
 * Within one caller, waiters are served first come, first served.
 *
 * @module
 */

/** Gives a slot back. Calling it more than once has no further effect. */
export type Release = () => void

interface Waiter {
  readonly seq: number
  readonly grant: (release: Release) => void
}

/** Bounds how many operations run at once, shared fairly between callers (the checker-wide cap on TCP connects). */
export class FairSemaphore {
  #free: number
  #seq = 0
  /** Slots each caller holds now (callers holding none are absent). */
  readonly #held = new Map<string, number>()
  /** Each caller's waiters, oldest first (callers with none are absent). */
  readonly #queues = new Map<string, Waiter[]>()

  /** @param capacity how many holders may hold a slot at once; a whole number of at least 1. */
  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a whole number >= 1 (got ${capacity})`)
    this.#free = capacity
  }

  /** Slots held right now. */
  get inUse(): number {
    return this.capacity - this.#free
  }

  /** Waiters right now, of every caller. */
  get waiting(): number {
    let count = 0
    for (const queue of this.#queues.values()) count += queue.length
    return count
  }

  /** Slots `caller` holds right now. */
  heldBy(caller: string): number {
    return this.#held.get(caller) ?? 0
  }

  /**
   * Resolves with a release function once `caller` holds a slot. Rejects with
   * `signal.reason` if `signal` aborts first (and then holds nothing, so
   * nothing needs releasing).
   */
  acquire(caller: string, signal?: AbortSignal): Promise<Release> {
    if (signal?.aborted === true) return Promise.reject(signal.reason as Error)
    if (this.#free > 0) {
      this.#free -= 1
      return Promise.resolve(this.#take(caller))
    }
    return this.#wait(caller, signal)
  }

  #wait(caller: string, signal: AbortSignal | undefined): Promise<Release> {
    return new Promise<Release>((resolve, reject) => {
      const onAbort = (): void => {
        this.#dequeue(caller, waiter)
        reject(signal?.reason as Error)
      }
      const waiter: Waiter = {
        seq: this.#seq++,
        grant: (release) => {
          signal?.removeEventListener('abort', onAbort)
          resolve(release)
        },
      }
      const queue = this.#queues.get(caller)
      if (queue === undefined) this.#queues.set(caller, [waiter])
      else queue.push(waiter)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  #dequeue(caller: string, waiter: Waiter): void {
    const queue = this.#queues.get(caller)
    if (queue === undefined) return
    const index = queue.indexOf(waiter)
    if (index >= 0) queue.splice(index, 1)
    if (queue.length === 0) this.#queues.delete(caller)
  }

  // Counts the slot as `caller`'s and returns its release.
  #take(caller: string): Release {
    this.#held.set(caller, this.heldBy(caller) + 1)
    let released = false
    return () => {
      if (released) return
      released = true
      const held = this.heldBy(caller) - 1
      if (held > 0) this.#held.set(caller, held)
      else this.#held.delete(caller)
      this.#handOn()
    }
  }

  // A freed slot goes straight to the next waiter by the fairness rule, so no newcomer can overtake it.
  #handOn(): void {
    let next: { caller: string; queue: Waiter[] } | undefined
    for (const [caller, queue] of this.#queues) {
      if (next === undefined) {
        next = { caller, queue }
        continue
      }
      const held = this.heldBy(caller)
      const best = this.heldBy(next.caller)
      if (held < best || (held === best && (queue[0]?.seq ?? Infinity) < (next.queue[0]?.seq ?? Infinity))) next = { caller, queue }
    }
    const waiter = next?.queue.shift()
    if (next === undefined || waiter === undefined) {
      this.#free += 1
      return
    }
    if (next.queue.length === 0) this.#queues.delete(next.caller)
    waiter.grant(this.#take(next.caller))
  }
}
