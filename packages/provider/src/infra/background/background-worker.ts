/**
 * The background thread's entry point: runs each job it is sent, reports its
 * end, and cancels it on request. It holds no state beyond the jobs running.
 *
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads'
import { runChild } from '../exec/child.js'
import { signMessage } from '../identity/sign-message.js'
import { recoverMessageSigner } from '@golem-vm/protocol/eth'
import type { FromWorker, JobInput, JobKind, JobMessage, JobOutput, ToWorker, WorkerData } from './jobs.js'

/** `track` records the pid of a process the job runs (0 once it has exited). */
type Handler<K extends JobKind> = (input: JobInput<K>, signal: AbortSignal, track: (pid: number) => void) => Promise<JobOutput<K>>

const HANDLERS: { readonly [K in JobKind]: Handler<K> } = {
  process: runChild,
  sign: signMessage,
  recover: ({ message, signature }) => Promise.resolve(recoverMessageSigner(message, signature)),
}

const port = parentPort
if (port === null) throw new Error('background-worker.js runs only as a worker thread')

const pids = new Int32Array((workerData as WorkerData).pids)
const running = new Map<number, AbortController>()
const send = (message: FromWorker) => port.postMessage(message)

port.on('message', (message: ToWorker) => {
  if (message.type === 'cancel') {
    running.get(message.id)?.abort()
    return
  }
  const { id } = message
  const controller = new AbortController()
  running.set(id, controller)
  perform(message, controller.signal)
    .then(
      (output) => send({ type: 'done', id, output }),
      (error: unknown) => send({ type: 'failed', id, message: error instanceof Error ? error.message : String(error) }),
    )
    .finally(() => running.delete(id))
})

function perform<K extends JobKind>(job: JobMessage<K>, signal: AbortSignal): Promise<JobOutput<K>> {
  const handler: Handler<K> = HANDLERS[job.kind]
  const track = (pid: number) => {
    if (job.slot >= 0) Atomics.store(pids, job.slot, pid)
  }
  return handler(job.input, signal, track)
}
