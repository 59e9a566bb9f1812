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
}

export type JobKind = keyof BackgroundJobs
export type JobInput<K extends JobKind> = BackgroundJobs[K]['input']
export type JobOutput<K extends JobKind> = BackgroundJobs[K]['output']

export type ToWorker =
  | { readonly type: 'job'; readonly id: number; readonly kind: JobKind; readonly input: JobInput<JobKind> }
  | { readonly type: 'cancel'; readonly id: number }

export type FromWorker =
  /** The job started a process: its owner kills it by pid if the thread dies before the job ends. */
  | { readonly type: 'pid'; readonly id: number; readonly pid: number }
  | { readonly type: 'done'; readonly id: number; readonly output: JobOutput<JobKind> }
  | { readonly type: 'failed'; readonly id: number; readonly message: string }
