/**
 * One worker thread for work that would otherwise stall the event loop that
 * serves the API. Starting a process is such work: libuv's spawn forks the
 * whole daemon and waits until the child has exec'd, 5–20 ms on a small
 * host and more under load, during which no request is answered. So is a
 * secp256k1 signature in JavaScript. The job kinds are listed in jobs.ts.
 *
 * The thread starts on first use and stops after `idleMs` without work, so
 * an idle provider does not keep its memory. It never keeps the process
 * alive by itself: it is referenced only while a job runs. If it dies with
 * jobs running, their processes are killed by pid (read from a table the
 * thread writes in shared memory, which survives it) and the jobs fail (such a
 * process stays a zombie until the provider exits: only the thread that
 * started it could have reaped it).
 *
 * @module
 */
import { Worker } from 'node:worker_threads'
import type { CancelMessage, FromWorker, JobInput, JobKind, JobMessage, JobOutput, WorkerData } from './jobs.js'

export interface BackgroundThreadOptions {
  /** Stop the thread after this long without a job. */
  readonly idleMs: number
  /** The worker's entry point (default: background-worker.js next to this file). */
  readonly entry?: URL
}

interface Pending {
  readonly resolve: (output: JobOutput<JobKind>) => void
  readonly reject: (error: Error) => void
  readonly detach: () => void
  readonly worker: Worker
  /** The job's cell in the pid table, or -1. */
  readonly slot: number
}

/** Jobs at once whose processes are tracked; beyond that a job runs untracked. */
const PID_SLOTS = 256
/** How long `close` lets cancelled jobs end: a cancelled process gets SIGKILL 2 s after SIGTERM (exec/child.ts). */
const CLOSE_GRACE_MS = 3000

/** Thrown when the thread itself failed (not the job): it died, or was closed with the job running. */
export class BackgroundThreadError extends Error {
  override readonly name = 'BackgroundThreadError'
}

export class BackgroundThread {
  readonly #idleMs: number
  readonly #entry: URL
  readonly #pending = new Map<number, Pending>()
  // The pid of each tracked job's process, written by the thread (see JobMessage); shared by every thread this starts.
  readonly #pids = new Int32Array(new SharedArrayBuffer(4 * PID_SLOTS))
  readonly #freeSlots = Array.from({ length: PID_SLOTS }, (_, i) => PID_SLOTS - 1 - i)
  readonly #waiters = new Set<() => void>()
  #worker: Worker | undefined
  #idleTimer: NodeJS.Timeout | undefined
  #nextId = 1

  constructor(opts: BackgroundThreadOptions) {
    this.#idleMs = opts.idleMs
    this.#entry = opts.entry ?? new URL('./background-worker.js', import.meta.url)
  }

  /** Runs a job on the thread. Aborting `signal` asks the job to cancel; it still settles with its own outcome. */
  call<K extends JobKind>(kind: K, input: JobInput<K>, signal?: AbortSignal): Promise<JobOutput<K>> {
    const worker = this.#worker ?? this.#start()
    clearTimeout(this.#idleTimer)
    worker.ref()
    const id = this.#nextId++
    const slot = this.#freeSlots.pop() ?? -1
    return new Promise<JobOutput<K>>((resolve, reject) => {
      const onAbort = () => this.#post(worker, { type: 'cancel', id })
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#pending.set(id, {
        resolve,
        reject,
        detach: () => {
          signal?.removeEventListener('abort', onAbort)
          if (slot < 0) return
          Atomics.store(this.#pids, slot, 0)
          this.#freeSlots.push(slot)
        },
        worker,
        slot,
      })
      const job: JobMessage<K> = { type: 'job', id, kind, input, slot }
      this.#post(worker, job)
      if (signal?.aborted === true) onAbort()
    })
  }

  /** Jobs running now. */
  get busy(): number {
    return this.#pending.size
  }

  /** True while the thread exists (between its first job and its idle stop). */
  get running(): boolean {
    return this.#worker !== undefined
  }

  /** The pids of the processes that running jobs have started and that still run. */
  get processes(): number[] {
    return [...this.#pending.values()].map((job) => (job.slot < 0 ? 0 : Atomics.load(this.#pids, job.slot))).filter((pid) => pid > 0)
  }

  /**
   * Stops the thread. Running jobs are cancelled first and settle with their
   * own outcome (a process gets SIGTERM, then SIGKILL); after `graceMs` the
   * thread is stopped anyway, the jobs left fail, and their processes are
   * killed by pid.
   */
  async close(graceMs = CLOSE_GRACE_MS): Promise<void> {
    const worker = this.#retire()
    if (worker === undefined) return
    const running = [...this.#pending].filter(([, job]) => job.worker === worker).map(([id]) => id)
    if (running.length > 0 && graceMs > 0) {
      for (const id of running) this.#post(worker, { type: 'cancel', id })
      await this.#settled(running, graceMs)
    }
    await worker.terminate()
  }

  // Resolves once none of `ids` is running, or after `limitMs`.
  #settled(ids: readonly number[], limitMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.#waiters.delete(check)
        resolve()
      }
      const check = () => {
        if (!ids.some((id) => this.#pending.has(id))) done()
      }
      const timer = setTimeout(done, limitMs)
      this.#waiters.add(check)
      check()
    })
  }

  // Detaches the current thread: the next job starts a new one, even while this one is still ending.
  #retire(): Worker | undefined {
    clearTimeout(this.#idleTimer)
    const worker = this.#worker
    this.#worker = undefined
    return worker
  }

  #post<K extends JobKind>(worker: Worker, message: JobMessage<K> | CancelMessage): void {
    worker.postMessage(message)
  }

  #start(): Worker {
    const workerData: WorkerData = { pids: this.#pids.buffer }
    const worker = new Worker(this.#entry, { workerData })
    this.#worker = worker
    worker.on('message', (message: FromWorker) => this.#receive(message))
    // The reason reaches the jobs through 'exit', which always follows.
    let failure = 'it stopped'
    worker.on('error', (error) => {
      failure = `it failed: ${error.message}`
    })
    worker.on('exit', () => {
      if (this.#worker === worker) this.#retire()
      this.#failAll(worker, `the background thread ended with the job running: ${failure}`)
    })
    return worker
  }

  #receive(message: FromWorker): void {
    const job = this.#pending.get(message.id)
    if (job === undefined) return
    this.#pending.delete(message.id)
    job.detach()
    if (message.type === 'done') job.resolve(message.output)
    else job.reject(new BackgroundThreadError(message.message))
    for (const waiter of this.#waiters) waiter()
    if (this.#pending.size === 0) this.#idle()
  }

  // No job: the thread no longer holds the process open, and stops unless work comes soon.
  #idle(): void {
    const worker = this.#worker
    if (worker === undefined) return
    worker.unref()
    clearTimeout(this.#idleTimer)
    this.#idleTimer = setTimeout(() => void this.#retire()?.terminate(), this.#idleMs)
    this.#idleTimer.unref()
  }

  #failAll(worker: Worker, reason: string): void {
    for (const [id, job] of this.#pending) {
      if (job.worker !== worker) continue
      this.#pending.delete(id)
      const pid = job.slot < 0 ? 0 : Atomics.load(this.#pids, job.slot)
      if (pid > 0) killQuietly(pid)
      job.detach()
      job.reject(new BackgroundThreadError(reason))
    }
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    // already gone
  }
}
