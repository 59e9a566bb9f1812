/**
 * Issue 15, items 18 and 19, against the real daemon: a corrupt or
 * unwritable database stops the start with one line that says what to do
 * (no stack trace); a full disk while running answers 507 STORAGE_FULL and
 * changes nothing, and the provider works again once there is space; the
 * public status endpoint names no absolute path of the host.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync, closeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { api, startDaemon } from '../helpers/daemon.js'
import { multipassWorld } from '../helpers/multipass-world.js'

const unsigned = { GOLEM_PROVIDER_ALLOW_UNSIGNED_REQUESTS: 'true' }
const VM = { resources: { cpu: 1, memory: 1, storage: 10 } }

// The start must fail with `message` and `code` in one line, and nothing that looks like a stack trace.
async function refusesToStart(t: TestContext, env: Record<string, string>, message: RegExp, code: string): Promise<void> {
  await assert.rejects(startDaemon(t, { env }), (error: Error) => {
    assert.match(error.message, message)
    assert.match(error.message, new RegExp(`golem-provider: cannot start: [^\\n]*\\[${code}\\]`))
    assert.doesNotMatch(error.message, /\n\s+at |"stack"|internal error/, 'no stack trace')
    return true
  })
}

test('a corrupt database: one line naming the file and the fix, no stack trace', async (t) => {
  const w = await multipassWorld(t, unsigned)
  mkdirSync(w.dataDir, { recursive: true })
  const db = join(w.dataDir, 'provider.db')
  writeFileSync(db, 'this is not a database, it was overwritten'.repeat(200))
  await refusesToStart(t, w.env, new RegExp(`the database ${db} is corrupt .*mv ${db} ${db}\\.corrupt`), 'STORE_UNUSABLE')
  rmSync(db)
  const daemon = await startDaemon(t, { env: w.env })
  assert.equal((await api(daemon.baseUrl, 'GET', '/health')).status, 200, 'with the file moved aside it starts')
})

test('an unwritable database: one line that says it must be writable, no stack trace', async (t) => {
  const w = await multipassWorld(t, unsigned)
  const first = await startDaemon(t, { env: w.env })
  await first.stop()
  // Root writes through file modes: the immutable attribute stands in for a read-only file system.
  execFileSync('chattr', ['+i', w.dataDir])
  try {
    await refusesToStart(t, w.env, /the database .*provider\.db cannot be opened for writing .*writable by the user running the provider/, 'STORE_UNUSABLE')
  } finally {
    execFileSync('chattr', ['-i', w.dataDir])
  }
  const again = await startDaemon(t, { env: w.env })
  assert.equal((await api(again.baseUrl, 'GET', '/health')).status, 200, 'writable again, it starts')
})

test('a full disk while running: 507 STORAGE_FULL, nothing changed; with space again the provider works', async (t) => {
  const w = await multipassWorld(t, unsigned)
  const dir = mkdtempSync(join(tmpdir(), 'golem-full-'))
  // Roomy at start (the storage offer is measured then), then shrunk to a few MiB and filled.
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16g', 'tmpfs', dir])
  t.after(() => {
    execFileSync('umount', ['-l', dir])
    rmSync(dir, { recursive: true, force: true })
  })
  const env = { ...w.env, GOLEM_PROVIDER_DATA_DIR: join(dir, 'data'), GOLEM_PROVIDER_OFFER_STORAGE_GB: '10' }
  const daemon = await startDaemon(t, { env })
  execFileSync('mount', ['-o', 'remount,size=4m', dir])
  const before = await api(daemon.baseUrl, 'GET', '/api/v1/provider/status')
  // Fill the file system to the last byte.
  const filler = join(dir, 'filler')
  const fd = openSync(filler, 'w')
  const chunk = Buffer.alloc(64 * 1024, 1)
  try {
    for (let i = 0; i < 1000; i++) writeSync(fd, chunk)
    assert.fail('a 4 MiB file system took 64 MiB')
  } catch (error) {
    assert.equal((error as NodeJS.ErrnoException).code, 'ENOSPC')
  } finally {
    closeSync(fd)
  }
  const refused = await api<{ code: string; message: string }>(daemon.baseUrl, 'POST', '/api/v1/vms', { ...VM, name: 'full', ssh_key: w.key.publicKey })
  assert.equal(refused.status, 507, JSON.stringify(refused.body))
  assert.equal(refused.body.code, 'STORAGE_FULL')
  assert.deepEqual((await api(daemon.baseUrl, 'GET', '/api/v1/vms')).body, [])
  assert.deepEqual((await api(daemon.baseUrl, 'GET', '/api/v1/provider/status')).body, before.body, 'the status is as before')
  rmSync(filler)
  const created = await api(daemon.baseUrl, 'POST', '/api/v1/vms', { ...VM, name: 'full', ssh_key: w.key.publicKey })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  assert.equal((await api(daemon.baseUrl, 'DELETE', '/api/v1/vms/full')).status, 200)
})

test('the public status endpoint shows no absolute path of the host', async (t) => {
  const w = await multipassWorld(t, unsigned)
  const daemon = await startDaemon(t, { env: w.env })
  const status = await api<{ backend: { detail: string } }>(daemon.baseUrl, 'GET', '/api/v1/provider/status')
  assert.equal(status.status, 200)
  const strings: string[] = []
  JSON.stringify(status.body, (_key, value: unknown) => {
    if (typeof value === 'string') strings.push(value)
    return value
  })
  for (const text of strings) assert.doesNotMatch(text, /(^|[\s(=])\/[\w.-]+\//, `a host path in the status: ${text}`)
  assert.match(status.body.backend.detail, /multipass/, 'the backend is still named')
})
