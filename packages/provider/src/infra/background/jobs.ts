/**
 * What the background thread does, and the messages between it and its
 * owner. One entry per job kind: its input and its output, both plain data
 * (they are copied between threads).
 *
 * @module
 */
import type { ChildJob, ChildOutcome } from '../exec/child.js'

export interface BackgroundJobs {
  /** Start a process and wait for it (see exec/child.ts). */
  readonly process: { readonly input: ChildJob; readonly output: ChildOutcome }
  /** EIP-191 `personal_sign` of `message` with `privateKey` (see identity/background-signer.ts): the signature, hex. */
  readonly sign: { readonly input: SignJob; readonly output: string }
  /** The address that made an EIP-191 `signature` of `message` (see http/auth.ts): checksummed. */
  readonly recover: { readonly input: RecoverJob; readonly output: string }
}

export interface RecoverJob {
  readonly message: string
  readonly signature: string
}

export interface SignJob {
  readonly privateKey: string
  readonly message: string
}

export type JobKind = keyof BackgroundJobs
export type JobInput<K extends JobKind> = BackgroundJobs[K]['input']
export type JobOutput<K extends JobKind> = BackgroundJobs[K]['output']

/**
 * A job message: its kind and its input always match. `slot` is the job's
 * cell in the shared pid table (-1: none), where a job that starts a process
 * writes its pid while the process runs, so that its owner can kill it if the
 * thread dies, even when the thread's last messages are lost with it.
 */
export type JobMessage<K extends JobKind = JobKind> = {
  [P in K]: { readonly type: 'job'; readonly id: number; readonly kind: P; readonly input: JobInput<P>; readonly slot: number }
}[K]

/** The worker's `workerData`: the shared pid table (an Int32Array's buffer). */
export interface WorkerData {
  readonly pids: SharedArrayBuffer
}

export interface CancelMessage {
  readonly type: 'cancel'
  readonly id: number
}

export type ToWorker = JobMessage | CancelMessage

export type FromWorker =
  | { readonly type: 'done'; readonly id: number; readonly output: JobOutput<JobKind> }
  | { readonly type: 'failed'; readonly id: number; readonly message: string }
