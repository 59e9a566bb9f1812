import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { loadOrCreateSshKey, loadSshKey, sshKeyPath } from './keys.js'

function tempDataDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'golem-vm-keys-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return join(dir, 'data')
}

const mode = (path: string): number => statSync(path).mode & 0o777

test('the key is made on first use in the data dir (dir 0700, key 0600) and reused afterwards', async (t) => {
  const dataDir = tempDataDir(t)
  const first = await loadOrCreateSshKey(dataDir)
  assert.equal(first.created, true)
  assert.equal(first.privateKeyPath, join(dataDir, 'ssh', 'id_ed25519'))
  assert.equal(mode(join(dataDir, 'ssh')), 0o700)
  assert.equal(mode(first.privateKeyPath), 0o600)
  assert.equal(readFileSync(`${first.privateKeyPath}.pub`, 'utf8'), `${first.publicKey}\n`)
  assert.match(first.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/)
  const again = await loadOrCreateSshKey(dataDir)
  assert.deepEqual({ ...again, created: true }, first)
  assert.equal(again.created, false)
})

test('concurrent first uses agree on one key', async (t) => {
  const dataDir = tempDataDir(t)
  const keys = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateSshKey(dataDir)))
  assert.equal(new Set(keys.map((k) => k.publicKey)).size, 1)
  assert.equal(keys.filter((k) => k.created).length, 1)
})

test('ssh never makes a new key: a missing one is an error; a lost .pub is rewritten; loose modes are tightened', async (t) => {
  const dataDir = tempDataDir(t)
  await assert.rejects(loadSshKey(dataDir), { code: 'SSH_KEY_MISSING' })
  const key = await loadOrCreateSshKey(dataDir)
  unlinkSync(`${key.privateKeyPath}.pub`)
  writeFileSync(key.privateKeyPath, readFileSync(key.privateKeyPath), { mode: 0o644 })
  const loaded = await loadSshKey(dataDir)
  assert.equal(loaded.publicKey, key.publicKey)
  assert.equal(readFileSync(`${key.privateKeyPath}.pub`, 'utf8').trim(), key.publicKey)
  assert.equal(mode(sshKeyPath(dataDir)), 0o600)
  writeFileSync(key.privateKeyPath, 'garbage')
  await assert.rejects(loadSshKey(dataDir), { code: 'LOCAL_STATE' })
})
