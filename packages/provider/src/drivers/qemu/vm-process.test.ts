import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { spawnDetached } from '../../infra/exec/spawn-detached.js'
import { isAlive, pidFromFile, pidsIn, terminate } from './vm-process.js'

test('a detached process is found by its folder and pid file, and ended', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vm-process-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const child = await spawnDetached('sleep', ['60'], { cwd: dir, stdoutPath: join(dir, 'out.log'), stderrPath: join(dir, 'err.log') })
  t.after(() => {
    try {
      process.kill(child.pid, 'SIGKILL')
    } catch {
      /* gone */
    }
  })
  assert.equal(await isAlive(child.pid), true)
  assert.deepEqual(await pidsIn(dir), [child.pid])
  symlinkSync(dir, `${dir}-link`)
  t.after(() => rmSync(`${dir}-link`, { force: true }))
  assert.deepEqual(await pidsIn(`${dir}-link`), [child.pid], 'a folder reached through a symbolic link is the same folder')
  assert.equal(await pidFromFile(dir), undefined, 'no pid file yet')
  writeFileSync(join(dir, 'qemu.pid'), `${child.pid}\n`)
  assert.equal(await pidFromFile(dir), child.pid)
  writeFileSync(join(dir, 'qemu.pid'), `${process.pid}\n`)
  assert.equal(await pidFromFile(dir), undefined, "a pid whose process works elsewhere is not the VM's")
  assert.equal(await terminate([child.pid], 2000), true)
  assert.equal(await child.exited, null, 'ended by a signal')
  assert.equal(await isAlive(child.pid), false)
  assert.deepEqual(await pidsIn(dir), [])
})

test('spawnDetached rejects a missing program', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vm-process-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  await assert.rejects(spawnDetached('/nonexistent/qemu', [], { cwd: dir, stdoutPath: join(dir, 'o'), stderrPath: join(dir, 'e') }), /ENOENT/)
})
