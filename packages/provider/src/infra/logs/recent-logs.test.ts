import assert from 'node:assert/strict'
import { test } from 'node:test'
import { RecentLogs } from './recent-logs.js'

test('keeps the last events, newest first, with short scalar fields only', () => {
  const logs = new RecentLogs(3, () => new Date(0))
  logs.record(30, { service: 'golem-provider', part: 'vms', vm: 'web-1', resources: { cpu: 1 }, sshPort: 50800 }, 'vm created')
  logs.record(50, { err: new Error('boom') }, undefined)
  logs.record(40, { detail: 'x'.repeat(1000) }, 'long')
  logs.record(20, {}, 'fourth')
  const events = logs.list()
  assert.deepEqual(
    events.map((e) => `${e.level} ${e.msg}`),
    ['debug fourth', 'warn long', 'error boom'],
  )
  assert.equal(events[1]?.fields.detail?.length, 300)
  assert.deepEqual(events[2]?.fields, { err: 'boom' })
  const first = new RecentLogs(1)
  first.record(30, { service: 'golem-provider', part: 'vms', vm: 'web-1', resources: { cpu: 1 }, sshPort: 50800 }, 'vm created')
  assert.deepEqual(first.list()[0]?.fields, { part: 'vms', vm: 'web-1', sshPort: '50800' })
})
