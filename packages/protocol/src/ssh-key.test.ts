import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { test } from 'node:test'
import { parseSshPublicKey } from './ssh-key.js'

// Encodes a key the way OpenSSH does, from Node's own key generator.
function openSshLine(type: 'ed25519' | 'rsa', bits = 2048): string {
  const str = (b: Buffer) => {
    const l = Buffer.alloc(4)
    l.writeUInt32BE(b.length)
    return Buffer.concat([l, b])
  }
  const mpint = (b: Buffer) => str(b[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b)
  if (type === 'ed25519') {
    const { publicKey } = generateKeyPairSync('ed25519')
    const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32)
    return `ssh-ed25519 ${Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)]).toString('base64')} me@host`
  }
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: bits })
  const jwk = publicKey.export({ format: 'jwk' })
  const blob = Buffer.concat([str(Buffer.from('ssh-rsa')), mpint(Buffer.from(jwk.e!, 'base64url')), mpint(Buffer.from(jwk.n!, 'base64url'))])
  return `ssh-rsa ${blob.toString('base64')}`
}

test('accepts ed25519 and rsa-2048 keys and keeps the comment apart', () => {
  const ed = parseSshPublicKey(openSshLine('ed25519'))
  assert.ok(ed.ok)
  assert.equal(ed.key.type, 'ssh-ed25519')
  assert.equal(ed.key.comment, 'me@host')
  assert.doesNotMatch(ed.key.canonical, /me@host/)
  const rsa = parseSshPublicKey(openSshLine('rsa', 2048))
  assert.ok(rsa.ok)
  assert.equal(rsa.key.bits, 2048)
})

test('refuses short rsa keys, line breaks, wrong types and garbage', () => {
  const short = parseSshPublicKey(openSshLine('rsa', 1024))
  assert.deepEqual(short.ok ? 'accepted' : short.reason, 'RSA keys must have at least 2048 bits (this one has 1024)')
  const key = openSshLine('ed25519')
  for (const bad of [`${key}\nssh-ed25519 AAAA`, `ssh-dss ${key.split(' ')[1]!}`, 'ssh-ed25519 AAAA', 'ssh-ed25519 !!!', '', 'ssh-rsa ' + key.split(' ')[1]!]) {
    assert.equal(parseSshPublicKey(bad).ok, false, bad)
  }
})
