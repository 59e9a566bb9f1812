import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ExecFailure } from '../infra/exec/run.js'
import { toDriverError } from './driver-error.js'

const spawnFailure = (code: string) =>
  new ExecFailure('spawn', ['/usr/bin/multipass', 'delete'], null, '', '', 1, { cause: new Error(`spawn ${code}`), spawnCode: code })

test('a process that cannot start for want of open files or processes is a transient UNAVAILABLE that says so', () => {
  for (const code of ['EMFILE', 'ENFILE', 'EAGAIN']) {
    const error = toDriverError(spawnFailure(code), 'multipass delete')
    assert.equal(error.code, 'UNAVAILABLE')
    assert.equal(error.transient, true, code)
    assert.match(error.message, new RegExp(`out of open files or processes \\(${code}\\)`))
  }
  const fsError = Object.assign(new Error('EMFILE: too many open files, open disk.qcow2'), { code: 'EMFILE' })
  assert.equal(toDriverError(fsError, 'qemu launch').transient, true)
})

test('a missing program and a failed exit are not transient', () => {
  const missing = toDriverError(spawnFailure('ENOENT'), 'multipass delete')
  assert.equal(missing.transient, false)
  assert.match(missing.message, /missing or not executable/)
  const exited = toDriverError(new ExecFailure('exit', ['multipass', 'delete'], 2, '', 'boom', 1), 'multipass delete')
  assert.deepEqual([exited.code, exited.transient], ['FAILED', false])
})
