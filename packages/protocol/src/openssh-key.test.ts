import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { parseSshPublicKey } from './ssh-key.js'
import { fingerprint, generateEd25519KeyPair, publicKeyOfPrivate } from './openssh-key.js'

const hasSshKeygen = (() => {
  try {
    execFileSync('ssh-keygen', ['-?'], { stdio: 'ignore' })
    return true
  } catch (error) {
    return (error as { status?: number }).status !== undefined && (error as { code?: string }).code !== 'ENOENT'
  }
})()

test('a generated key is an accepted OpenSSH ed25519 key, and its public half is read back from the private file', () => {
  const pair = generateEd25519KeyPair('golem-vm-requestor')
  const parsed = parseSshPublicKey(pair.publicKey)
  assert.ok(parsed.ok)
  assert.equal(parsed.key.type, 'ssh-ed25519')
  assert.equal(parsed.key.comment, 'golem-vm-requestor')
  assert.match(pair.privateKey, /^-----BEGIN OPENSSH PRIVATE KEY-----\n([A-Za-z0-9+/=]{1,70}\n)+-----END OPENSSH PRIVATE KEY-----\n$/)
  assert.equal(publicKeyOfPrivate(pair.privateKey), parsed.key.canonical)
  assert.equal(publicKeyOfPrivate('not a key'), undefined)
  assert.notEqual(generateEd25519KeyPair('x').publicKey.split(' ')[1], pair.publicKey.split(' ')[1])
})

test(
  'ssh-keygen reads the private key file and derives the same public key and fingerprint',
  { skip: hasSshKeygen ? false : 'ssh-keygen is not installed' },
  (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'golem-vm-key-'))
    t.after(() => rmSync(dir, { recursive: true, force: true }))
    const pair = generateEd25519KeyPair('golem-vm-requestor')
    const path = join(dir, 'id_ed25519')
    writeFileSync(path, pair.privateKey, { mode: 0o600 })
    const derived = execFileSync('ssh-keygen', ['-y', '-f', path], { encoding: 'utf8' }).trim()
    assert.equal(derived.split(' ').slice(0, 2).join(' '), pair.publicKey.split(' ').slice(0, 2).join(' '))
    writeFileSync(`${path}.pub`, `${pair.publicKey}\n`)
    const listed = execFileSync('ssh-keygen', ['-l', '-f', `${path}.pub`], { encoding: 'utf8' })
    assert.equal(listed.split(' ')[1], fingerprint(pair.publicKey))
  },
)
