import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { SqliteVmStore } from './sqlite-vm-store.js'
import { NONCE_WINDOW_MS } from './sqlite-nonce-registry.js'

test('accepted nonces outlive the store for the freshness window, then are forgotten', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'golem-nonces-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'provider.db')
  const t0 = 1_800_000_000_000
  const first = new SqliteVmStore(path)
  const nonces = first.nonces(t0)
  assert.equal(nonces.remember('0xabc:01', t0), true)
  assert.equal(nonces.remember('0xabc:01', t0 + 1), false, 'a replay in the same run')
  assert.equal(nonces.remember('0xabc:02', t0 + 5_000), true)
  first.close()
  const second = new SqliteVmStore(path)
  const reopened = second.nonces(t0 + 10_000)
  assert.equal(reopened.has('0xabc:01', t0 + 10_000), true, 'kept across a restart')
  assert.equal(reopened.remember('0xabc:01', t0 + 10_000), false)
  assert.equal(reopened.remember('0xabc:03', t0 + 10_000), true)
  second.close()
  const late = new SqliteVmStore(path)
  const afterWindow = late.nonces(t0 + NONCE_WINDOW_MS + 1)
  assert.equal(afterWindow.has('0xabc:01', t0 + NONCE_WINDOW_MS + 1), false, 'older than the window: forgotten')
  assert.equal(afterWindow.has('0xabc:02', t0 + NONCE_WINDOW_MS + 1), true)
  late.close()
})
