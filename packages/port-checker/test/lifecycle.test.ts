// Start-up, configuration errors and shutdown of the real executable.
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { test } from 'node:test'
import { runCheckerToExit, startChecker } from './helpers/checker-process.js'
import { get } from './helpers/http.js'

test('with PORT_CHECKER_PORT=0 the "listening" record names the port the system chose', async (t) => {
  const checker = await startChecker(t)
  const listening = checker.records.find((r) => r.event === 'listening')
  assert.ok(listening !== undefined)
  assert.equal(listening.host, '127.0.0.1')
  assert.ok(checker.port > 0)
  assert.equal(checker.url, `http://127.0.0.1:${checker.port}`)
  assert.equal((await get(checker.url, '/health')).status, 200)
})

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal} stops the checker cleanly with exit code 0`, async (t) => {
    const checker = await startChecker(t)
    const exit = await checker.stop(signal)
    assert.deepEqual(exit, { code: 0, signal: null })
    assert.ok(checker.records.some((r) => r.event === 'stopped'))
  })
}

test('a bad configuration stops start-up with one message listing every problem, exit code 2', async (t) => {
  const result = await runCheckerToExit(t, { PORT_CHECKER_PORT: 'ninety', PORT_CHECKER_ATTEMPTS: '0', PORT_CHECKER_ALLOW_FOREIGN_ADDRESS: 'sometimes' })
  assert.equal(result.code, 2)
  assert.equal(result.stdout, '')
  assert.match(result.stderr, /^golem-port-checker: invalid configuration:\n/)
  assert.match(result.stderr, /PORT_CHECKER_PORT: .*"ninety"/)
  assert.match(result.stderr, /PORT_CHECKER_ATTEMPTS: .*"0"/)
  assert.match(result.stderr, /PORT_CHECKER_ALLOW_FOREIGN_ADDRESS: .*"sometimes"/)
})

test('an unknown PORT_CHECKER_ variable is logged as a warning (likely a typo)', async (t) => {
  const checker = await startChecker(t, { PORT_CHECKER_ALLOW_FOREIGN_ADRESS: 'true' })
  assert.ok(checker.records.some((r) => r.level === 40 && r.setting === 'PORT_CHECKER_ALLOW_FOREIGN_ADRESS'))
})

test('a port that is already taken fails start-up with exit code 1 and a fatal record', async (t) => {
  const blocker = createServer()
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => blocker.close(() => resolve())))
  const address = blocker.address()
  assert.ok(address !== null && typeof address === 'object')
  const result = await runCheckerToExit(t, { PORT_CHECKER_PORT: String(address.port) })
  assert.equal(result.code, 1)
  assert.match(result.stdout, /"level":60.*cannot listen on 127\.0\.0\.1/)
})
