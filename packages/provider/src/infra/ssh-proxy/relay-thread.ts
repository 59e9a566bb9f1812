/**
 * Entry point of the SSH proxy's relay thread: `new Worker(<this file>)`,
 * never imported. Runs a `Relay` and serves the manager's requests
 * (`relay-messages.ts`) over the thread's message port.
 *
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads'
import type { FromRelay, RelayThreadData, ToRelay } from './relay-messages.js'
import { Relay } from './relay.js'

const port = parentPort
if (port === null) throw new Error('relay-thread.js runs only as a worker thread (see ssh-proxy.ts)')
const { config, levels } = workerData as RelayThreadData
const send = (message: FromRelay) => port.postMessage(message)

const relay = new Relay(config, {
  log: (level, fields, msg) => {
    if (level === 'error' || levels[level]) send({ op: 'log', level, fields, msg })
  },
  stats: (vmId, stats) => send({ op: 'stats', vmId, stats }),
})

port.on('message', (m: ToRelay) => {
  if (m.op === 'target') {
    relay.setTarget(m.vmId, m.target)
    return
  }
  const work = m.op === 'open' ? relay.open(m.vmId, m.port, m.target, m.kind) : relay.close(m.vmId)
  work.then(
    () => send({ op: 'done', seq: m.seq }),
    (error: unknown) =>
      send({ op: 'done', seq: m.seq, error: { message: error instanceof Error ? error.message : String(error), code: (error as NodeJS.ErrnoException).code } }),
  )
})
