import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'node:test'
import { BackgroundThread, BackgroundThreadError } from './background-thread.js'

const job = (file: string, args: string[], timeoutMs = 30_000) => ({ file, args, env: {}, timeoutMs, maxOutputBytes: 1024 })

// Running, not dead: a killed child of a thread that is gone stays a zombie ("Z") until the process exits.
const alive = (pid: number): boolean => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

async function until(what: string, check: () => boolean, limitMs = 5000): Promise<void> {
  for (const deadline = Date.now() + limitMs; !check(); await sleep(20)) {
    if (Date.now() > deadline) assert.fail(`${what}: not within ${limitMs} ms`)
  }
}

test('starts on the first job, stops after idling, and starts again for the next', async () => {
  const thread = new BackgroundThread({ idleMs: 100 })
  assert.equal(thread.running, false)
  const first = await thread.call('process', job('/bin/echo', ['one']), undefined)
  assert.equal(first.stdout, 'one\n')
  assert.equal(first.failure, undefined)
  assert.equal(thread.running, true)
  await until('the idle thread stops', () => !thread.running)
  const second = await thread.call('process', job('/bin/echo', ['two']), undefined)
  assert.equal(second.stdout, 'two\n')
  await thread.close()
  assert.equal(thread.running, false)
})

test('closing with a job running cancels it: the process is stopped and the job settles as aborted', async () => {
  const thread = new BackgroundThread({ idleMs: 60_000 })
  const running = thread.call('process', job('/bin/sleep', ['30']), undefined)
  await until('the process is tracked', () => thread.processes.length === 1)
  const [pid] = thread.processes
  await thread.close()
  assert.equal((await running).failure, 'aborted')
  assert.equal(alive(pid!), false)
  assert.equal(thread.busy, 0)
  assert.equal(thread.running, false)
})

test('a thread stopped without grace fails its jobs and their processes are killed by pid', async () => {
  const thread = new BackgroundThread({ idleMs: 60_000 })
  const running = thread.call('process', job('/bin/sleep', ['30']), undefined)
  const outcome = running.then(
    () => 'resolved',
    (e: unknown) => e,
  )
  await until('the process is tracked', () => thread.processes.length === 1)
  const [pid] = thread.processes
  await thread.close(0)
  const error = await outcome
  assert.ok(error instanceof BackgroundThreadError, String(error))
  assert.match(error.message, /ended with the job running/)
  await until('the orphaned process is killed', () => !alive(pid!))
  assert.equal(thread.busy, 0)
})

test('a cancelled job settles with its own outcome and leaves the thread usable', async () => {
  const thread = new BackgroundThread({ idleMs: 60_000 })
  const controller = new AbortController()
  const running = thread.call('process', job('/bin/sleep', ['30']), controller.signal)
  setTimeout(() => controller.abort(), 50)
  assert.equal((await running).failure, 'aborted')
  assert.equal((await thread.call('process', job('/bin/echo', ['after']), undefined)).stdout, 'after\n')
  await thread.close()
})
