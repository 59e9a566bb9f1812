import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { createOverlay, imageInfo, infoArgs, overlayArgs, parseInfo } from './qemu-img.js'

const hasQemuImg = (() => {
  try {
    execFileSync('qemu-img', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

test('argv: an overlay backed by the base, and info without the lock', () => {
  assert.deepEqual(overlayArgs({ base: '/img/base.qcow2', baseFormat: 'qcow2', overlay: '/vm/disk.qcow2', sizeGb: 12 }), [
    'create',
    '-q',
    '-f',
    'qcow2',
    '-F',
    'qcow2',
    '-b',
    '/img/base.qcow2',
    '/vm/disk.qcow2',
    '12G',
  ])
  assert.deepEqual(infoArgs('/img/base.qcow2'), ['info', '-U', '--output=json', '/img/base.qcow2'])
  assert.deepEqual(parseInfo('{"virtual-size": 834666496, "filename": "x", "format": "qcow2", "dirty-flag": false}'), {
    virtualSize: 834666496,
    format: 'qcow2',
  })
})

test('a real overlay has the requested size and the base as its backing file', { skip: hasQemuImg ? false : 'qemu-img is not installed' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'qemu-img-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const base = join(dir, 'base.qcow2')
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', base, '64M'])
  const opts = { binary: 'qemu-img', timeoutMs: 10_000, signal: AbortSignal.timeout(10_000) }
  await createOverlay({ base, baseFormat: 'qcow2', overlay: join(dir, 'disk.qcow2'), sizeGb: 12 }, opts)
  assert.deepEqual(await imageInfo(join(dir, 'disk.qcow2'), opts), { virtualSize: 12 * 1024 ** 3, format: 'qcow2' })
  const info = JSON.parse(execFileSync('qemu-img', ['info', '--output=json', join(dir, 'disk.qcow2')]).toString()) as { 'backing-filename': string }
  assert.equal(info['backing-filename'], base)
})
