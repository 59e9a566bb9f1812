import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { startProgress } from './progress.js'

const capture = (isTTY: boolean) => {
  const written: string[] = []
  return { written, io: { stdout: { write: () => true }, stderr: { isTTY, write: (text: string | Uint8Array) => written.push(String(text)) } } }
}

test('on a terminal: a spinner with the elapsed time, rewritten in place and erased at the end', async () => {
  const { written, io } = capture(true)
  const progress = startProgress(io, 'creating "web-1"')
  await sleep(350)
  progress.phase('asking where to connect')
  await sleep(250)
  progress.stop()
  progress.stop()
  assert.ok(written.length >= 3, JSON.stringify(written))
  assert.ok((written[0] ?? '').startsWith('\r\x1b[K'))
  assert.match(written[0] ?? '', / creating "web-1" \(0 s\)$/)
  assert.ok(written.some((w) => w.includes('asking where to connect')))
  assert.equal(written.at(-1), '\r\x1b[K')
  assert.ok(
    written.every((w) => !w.includes('\n')),
    'no new lines on a terminal',
  )
})

test('elsewhere: one plain line per phase, nothing rewritten', () => {
  const { written, io } = capture(false)
  const progress = startProgress(io, 'creating "web-1"')
  progress.phase('asking where to connect')
  progress.stop()
  assert.deepEqual(written, ['creating "web-1"…\n', 'asking where to connect…\n'])
})
