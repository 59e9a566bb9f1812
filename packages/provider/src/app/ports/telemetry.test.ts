import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fanOut, NO_TELEMETRY, type Telemetry } from './telemetry.js'

test('fanOut gives every sink each event; a sink that throws is reported and does not stop the others', () => {
  const got: string[] = []
  const failing: Telemetry = {
    ...NO_TELEMETRY,
    operationStarted: () => {
      throw new Error('sink broke')
    },
  }
  const recording: Telemetry = { ...NO_TELEMETRY, operationStarted: (e) => got.push(`${e.operation} ${e.vmId}`) }
  const errors: unknown[] = []
  const telemetry = fanOut([failing, recording], (error) => errors.push(error))
  telemetry.operationStarted({ operation: 'stop', vmId: 'web-1' })
  assert.deepEqual(got, ['stop web-1'])
  assert.equal((errors[0] as Error).message, 'sink broke')
  assert.doesNotThrow(() => telemetry.portsVerified({} as never), 'sinks without interest ignore the event')
})
