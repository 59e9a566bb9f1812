import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { SSH_MSG, sshPacket, sshStartBeforeNewkeys } from '../../../test/helpers/ssh-wire.js'
import { SshStreamStart, type StartState } from './ssh-handshake.js'

const beforeNewkeys = sshStartBeforeNewkeys('client')
const clientStart = Buffer.concat([beforeNewkeys, sshPacket(SSH_MSG.NEWKEYS, 0)])
/** The byte that completes NEWKEYS's header (length, padding length, type). */
const doneAt = beforeNewkeys.length + 5
const encrypted = randomBytes(5000)

function feed(side: 'client' | 'server', bytes: Buffer, chunkSize: number): StartState[] {
  const start = new SshStreamStart(side)
  const states: StartState[] = []
  for (let i = 0; i < bytes.length; i += chunkSize) states.push(start.push(bytes.subarray(i, i + chunkSize)))
  return states
}

test("a client's start is done at its NEWKEYS, however the bytes are split", () => {
  for (const chunkSize of [1, 2, 5, 7, 64, 1000, clientStart.length]) {
    const states = feed('client', clientStart, chunkSize)
    const firstDone = states.findIndex((s) => s.kind === 'done')
    assert.equal(firstDone, Math.floor(doneAt / chunkSize), `done with the chunk holding NEWKEYS's type (chunks of ${chunkSize})`)
    assert.ok(
      states.slice(0, firstDone).every((s) => s.kind === 'pending'),
      `pending before (chunks of ${chunkSize})`,
    )
    assert.ok(
      states.slice(firstDone).every((s) => s.kind === 'done'),
      `done after (chunks of ${chunkSize})`,
    )
  }
})

test('bytes after NEWKEYS (encrypted) are not looked at', () => {
  const start = new SshStreamStart('client')
  assert.deepEqual(start.push(Buffer.concat([clientStart, encrypted])), { kind: 'done' })
  assert.deepEqual(start.push(Buffer.from('GET / HTTP/1.1\r\n')), { kind: 'done' })
})

test('the identification alone, or the key exchange without NEWKEYS, is not a finished start', () => {
  const start = new SshStreamStart('client')
  assert.deepEqual(start.push(Buffer.from('SSH-2.0-x\r\n')), { kind: 'pending' })
  assert.deepEqual(start.push(sshPacket(SSH_MSG.KEXINIT, 800)), { kind: 'pending' })
  assert.deepEqual(start.push(sshPacket(SSH_MSG.KEX_ECDH_INIT, 36)), { kind: 'pending' })
})

test('a client must begin with "SSH-": anything else is refused at its first wrong byte', () => {
  for (const opening of ['GET / HTTP/1.1\r\n', '\r\n', 'SSH_2.0', 'ssh-2.0-x\r\n', '\x16\x03\x01']) {
    const start = new SshStreamStart('client')
    const state = start.push(Buffer.from(opening))
    assert.equal(state.kind, 'invalid', JSON.stringify(opening))
  }
  const byByte = new SshStreamStart('client')
  assert.equal(byByte.push(Buffer.from('S')).kind, 'pending')
  assert.equal(byByte.push(Buffer.from('X')).kind, 'invalid')
})

test('SSH 1 and identification lines over 255 bytes are refused', () => {
  assert.equal(new SshStreamStart('client').push(Buffer.from('SSH-1.5-old\r\n')).kind, 'invalid')
  assert.equal(new SshStreamStart('client').push(Buffer.from(`SSH-2.0-${'x'.repeat(260)}\r\n`)).kind, 'invalid')
  assert.equal(new SshStreamStart('client').push(Buffer.from('SSH-1.99-compat\r\n')).kind, 'pending')
})

test('a server may send other lines before its identification; a client may not', () => {
  const server = Buffer.concat([Buffer.from('Welcome\r\nauthorized use only\r\n'), clientStart])
  assert.deepEqual(feed('server', server, 3).at(-1), { kind: 'done' })
  assert.equal(new SshStreamStart('client').push(Buffer.from('Welcome\r\n')).kind, 'invalid')
  assert.equal(new SshStreamStart('server').push(Buffer.alloc(70 * 1024, 'a')).kind, 'invalid', 'no identification in 64 KiB')
})

test('a clear-text packet length no key exchange uses means the stream is not SSH', () => {
  const huge = Buffer.alloc(6)
  huge.writeUInt32BE(1024 * 1024, 0)
  assert.equal(new SshStreamStart('client').push(Buffer.concat([Buffer.from('SSH-2.0-x\r\n'), huge])).kind, 'invalid')
  const tiny = Buffer.from([0, 0, 0, 1, 0, 0])
  assert.equal(new SshStreamStart('client').push(Buffer.concat([Buffer.from('SSH-2.0-x\r\n'), tiny])).kind, 'invalid')
})
