import assert from 'node:assert/strict'
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { loadOrCreateIdentity } from './identity.js'

function tempDataDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'golem-vm-id-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return join(dir, 'data')
}

test('the identity is made on first use (0600, plain address + private key) and reused', async (t) => {
  const dataDir = tempDataDir(t)
  const first = await loadOrCreateIdentity(dataDir)
  assert.equal(first.created, true)
  assert.equal(statSync(dataDir).mode & 0o777, 0o700)
  assert.equal(statSync(first.file).mode & 0o777, 0o600)
  const file = JSON.parse(readFileSync(first.file, 'utf8')) as { address: string; private_key: string }
  assert.equal(file.address, first.address)
  assert.match(file.private_key, /^0x[0-9a-f]{64}$/)
  const again = await loadOrCreateIdentity(dataDir)
  assert.equal(again.address, first.address)
  assert.equal(again.created, false)
  const all = await Promise.all(Array.from({ length: 5 }, () => loadOrCreateIdentity(tempDataDir(t))))
  assert.equal(new Set(all.map((i) => i.address)).size, 5)
})

test('a damaged identity is never replaced silently; loose modes are tightened', async (t) => {
  const dataDir = tempDataDir(t)
  const identity = await loadOrCreateIdentity(dataDir)
  chmodSync(identity.file, 0o644)
  await loadOrCreateIdentity(dataDir)
  assert.equal(statSync(identity.file).mode & 0o777, 0o600)
  writeFileSync(identity.file, '{"private_key": "nope"}')
  await assert.rejects(loadOrCreateIdentity(dataDir), { code: 'LOCAL_STATE', message: /restore it from a backup/ })
  writeFileSync(identity.file, JSON.stringify({ address: '0x0000000000000000000000000000000000000001', private_key: `0x${'11'.repeat(32)}` }))
  await assert.rejects(loadOrCreateIdentity(dataDir), { code: 'LOCAL_STATE', message: /does not belong/ })
})
