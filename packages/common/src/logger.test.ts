import assert from 'node:assert/strict'
import { test } from 'node:test'
import { pino } from 'pino'
import { logTapHooks } from './logger.js'

test('the tap sees each logged event with its bindings and message; the lines are unchanged, a throwing tap loses none', () => {
  const seen: [number, Record<string, unknown>, string | undefined][] = []
  const lines: string[] = []
  let fail = false
  const log = pino(
    {
      level: 'info',
      hooks: logTapHooks((level, fields, msg) => {
        if (fail) throw new Error('tap broke')
        seen.push([level, { ...fields }, msg])
      }),
    },
    { write: (line: string) => lines.push(line) },
  )
  log.child({ part: 'vms' }).warn({ vm: 'web-1' }, 'vm create failed')
  log.info('plain')
  log.debug('below the level')
  log.error(new Error('boom'))
  fail = true
  log.info('still written')
  assert.deepEqual(
    seen.map(([level, fields, msg]) => [level, fields.part, fields.vm, msg]),
    [
      [40, 'vms', 'web-1', 'vm create failed'],
      [30, undefined, undefined, 'plain'],
      [50, undefined, undefined, undefined],
    ],
  )
  assert.equal((seen[2]?.[1].err as Error).message, 'boom')
  assert.equal(lines.length, 4)
  assert.equal((JSON.parse(lines[0]!) as { part: string; vm: string; msg: string }).vm, 'web-1')
  assert.match(lines[3]!, /still written/)
})
