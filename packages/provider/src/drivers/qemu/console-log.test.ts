import assert from 'node:assert/strict'
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { appendConsoleLog, capConsoleLog, logTail, rotateConsoleLog } from './console-log.js'

function dir(t: TestContext): string {
  const d = mkdtempSync(join(tmpdir(), 'console-'))
  t.after(() => rmSync(d, { recursive: true, force: true }))
  return d
}

test('each boot starts a fresh log and keeps the previous one', async (t) => {
  const d = dir(t)
  await rotateConsoleLog(d)
  assert.equal(readFileSync(join(d, 'console.log'), 'utf8'), '')
  writeFileSync(join(d, 'console.log'), 'boot 1\n')
  await rotateConsoleLog(d)
  assert.equal(readFileSync(join(d, 'console.log.1'), 'utf8'), 'boot 1\n')
  assert.equal(readFileSync(join(d, 'console.log'), 'utf8'), '')
})

test('a log over the cap is cut to its tail, and the writer keeps appending from the start', async (t) => {
  const d = dir(t)
  const log = join(d, 'console.log')
  writeFileSync(log, 'x'.repeat(5000) + 'THE END')
  assert.equal(await capConsoleLog(d, 10_000, 100), false, 'under the cap: untouched')
  appendFileSync(log, 'y'.repeat(6000) + 'LAST LINE')
  assert.equal(await capConsoleLog(d, 10_000, 100), true)
  assert.equal(statSync(log).size, 0)
  const kept = readFileSync(join(d, 'console.log.1'), 'utf8')
  assert.equal(kept.length, 100)
  assert.ok(kept.endsWith('LAST LINE'))
  appendFileSync(log, 'after the cut\n')
  assert.equal(readFileSync(log, 'utf8'), 'after the cut\n')
  assert.equal(await capConsoleLog(join(d, 'missing')), false)
})

test('logTail gives the last non-empty lines without terminal control sequences', async (t) => {
  const d = dir(t)
  const log = join(d, 'console.log')
  writeFileSync(log, '\u001bc\u001b[?7l\u001b[2JSeaBIOS\r\n\r\nline 2\nline 3\n\n[    3.6] Kernel panic - not syncing: VFS\n')
  assert.equal(await logTail(log, 2), 'line 3\n[    3.6] Kernel panic - not syncing: VFS')
  assert.equal(await logTail(log, 10), 'SeaBIOS\nline 2\nline 3\n[    3.6] Kernel panic - not syncing: VFS')
  assert.equal(await logTail(join(d, 'none.log'), 5), '')
})

test('drained console bytes are appended as they are, and the log stays under the cap', async (t) => {
  const d = dir(t)
  await rotateConsoleLog(d)
  await appendConsoleLog(d, Buffer.from('boot\n'))
  await appendConsoleLog(d, Buffer.alloc(0))
  assert.equal(readFileSync(join(d, 'console.log'), 'utf8'), 'boot\n')
  for (let i = 0; i < 5; i++) await appendConsoleLog(d, Buffer.alloc(1024 * 1024, 'y'))
  assert.ok(statSync(join(d, 'console.log')).size <= 2 * 1024 * 1024)
  assert.equal(statSync(join(d, 'console.log.1')).size, 256 * 1024)
})
