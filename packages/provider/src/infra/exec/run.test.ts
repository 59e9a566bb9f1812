import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ExecFailure, run } from './run.js'

const rejectsWith = async (promise: Promise<unknown>): Promise<ExecFailure> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  assert.ok(error instanceof ExecFailure, `expected an ExecFailure, got ${String(error)}`)
  return error
}

test('runs a process on the background thread and returns its output', async () => {
  const result = await run('/bin/sh', ['-c', 'echo out; echo err >&2'], { timeoutMs: 10_000 })
  assert.equal(result.stdout, 'out\n')
  assert.equal(result.stderr, 'err\n')
  assert.ok(result.durationMs > 0)
})

test("feeds input to stdin and passes the environment it is given, not the provider's", async () => {
  const result = await run('/bin/sh', ['-c', 'cat; printf "[%s][%s]" "$ONLY" "$HOME"'], { timeoutMs: 10_000, input: 'typed\n', env: { ONLY: 'this' } })
  assert.equal(result.stdout, 'typed\n[this][]')
})

test('a non-zero exit is an ExecFailure whose reason is the last line of stderr', async () => {
  const failure = await rejectsWith(run('/bin/sh', ['-c', 'echo first >&2; echo "the real reason" >&2; exit 3'], { timeoutMs: 10_000 }))
  assert.equal(failure.kind, 'exit')
  assert.equal(failure.exitCode, 3)
  assert.equal(failure.reason, 'the real reason')
  assert.deepEqual(failure.argv.slice(0, 2), ['/bin/sh', '-c'])
})

test('a missing program is a spawn failure that says why', async () => {
  const failure = await rejectsWith(run('/nonexistent/multipass', ['version'], { timeoutMs: 10_000 }))
  assert.equal(failure.kind, 'spawn')
  assert.match((failure.cause as Error).message, /ENOENT/)
})

test('a process that outlives its timeout is killed and reported as timed out', async () => {
  const failure = await rejectsWith(run('/bin/sleep', ['30'], { timeoutMs: 200 }))
  assert.equal(failure.kind, 'timeout')
  assert.ok(failure.durationMs < 10_000, `killed after ${failure.durationMs} ms`)
})

test('aborting kills the process, before or after it started', async () => {
  const controller = new AbortController()
  const running = run('/bin/sleep', ['30'], { timeoutMs: 60_000, signal: controller.signal })
  setTimeout(() => controller.abort(), 100)
  assert.equal((await rejectsWith(running)).kind, 'aborted')
  assert.equal((await rejectsWith(run('/bin/sleep', ['30'], { timeoutMs: 60_000, signal: AbortSignal.abort() }))).kind, 'aborted')
})

test('output beyond the bound is dropped, the process still completes', async () => {
  const result = await run('/bin/sh', ['-c', 'head -c 3000000 /dev/zero; echo done >&2'], { timeoutMs: 10_000, maxOutputBytes: 1000 })
  assert.equal(result.stdout.length, 1000)
  assert.equal(result.stderr, 'done\n')
})

test('many commands at once all complete with their own output', async () => {
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => run('/bin/echo', [`job ${i}`], { timeoutMs: 10_000 })))
  assert.deepEqual(
    results.map((r) => r.stdout),
    Array.from({ length: 20 }, (_, i) => `job ${i}\n`),
  )
})
