/**
 * Issue 15, item 11 against the real daemon (fake `multipass`: a real sshd
 * per VM): every answer to a renter's signed request carries the provider's
 * signature (`golem-vm-answer/1`) over the exact bytes that came over TCP, the
 * status and the request's nonce, made with the key whose address the daemon
 * advertises; the operator's requests and refused ones are answered unsigned,
 * as the original 0.1.21 answered everything. The VM's SSH host key is the
 * one the provider issued and names in its signed /access answer.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { ANSWER_SIGNATURE_HEADER, verifyAnswer } from '@golem-vm/protocol'
import { startDaemon, type Daemon } from '../helpers/daemon.js'
import { multipassWorld } from '../helpers/multipass-world.js'
import { providerIdOf, renter, type SignedRequest } from '../helpers/renter.js'

// Sends a request as signed; the status, the exact body text and the answer's signature header.
async function raw(daemon: Daemon, req: SignedRequest): Promise<{ status: number; text: string; signature: string | null }> {
  const res = await fetch(`${daemon.baseUrl}${req.path}`, {
    method: req.method,
    headers: req.headers,
    ...(req.body === '' ? {} : { body: req.body }),
    signal: AbortSignal.timeout(120_000),
  })
  return { status: res.status, text: await res.text(), signature: res.headers.get(ANSWER_SIGNATURE_HEADER) }
}

test('the daemon signs its answers to signed requests, errors included, and no others', { timeout: 240_000 }, async (t) => {
  const w = await multipassWorld(t)
  const daemon = await startDaemon(t, { env: w.env })
  const provider = providerIdOf(daemon)
  const alice = renter(daemon)
  const body = { name: 'signed-vm', ssh_key: w.key.publicKey, resources: { cpu: 1, memory: 1, storage: 10 } }

  const cases: [string, string, unknown, number][] = [
    ['POST', '/api/v1/vms', body, 201],
    ['GET', '/api/v1/vms/signed-vm/access', undefined, 200],
    ['GET', '/api/v1/vms', undefined, 200],
    ['GET', '/api/v1/vms/nobody-here', undefined, 404],
    ['POST', '/api/v1/vms', { ...body, name: 'Bad Name' }, 400],
  ]
  for (const [method, path, payload, status] of cases) {
    const req = await alice.sign(method, path, payload)
    const answer = await raw(daemon, req)
    assert.equal(answer.status, status, `${method} ${path}: ${answer.text}`)
    assert.ok(answer.signature !== null, `${method} ${path} is answered signed`)
    const fields = { provider, nonce: req.headers['x-golem-nonce'] ?? '', method, path, status, body: answer.text }
    assert.deepEqual(verifyAnswer(fields, answer.signature), { ok: true }, `${method} ${path}`)
    assert.equal(verifyAnswer({ ...fields, status: status === 200 ? 201 : 200 }, answer.signature).ok, false, 'another status does not verify')
  }

  // A replayed request is refused before any signing; unsigned and operator requests are answered as the original did.
  const replayed = await alice.sign('GET', '/api/v1/vms')
  await raw(daemon, replayed)
  const again = await raw(daemon, replayed)
  assert.equal(again.status, 401)
  assert.equal(again.signature, null)
  const unsigned = await fetch(`${daemon.baseUrl}/api/v1/vms`, { signal: AbortSignal.timeout(30_000) })
  assert.equal(unsigned.status, 401)
  assert.equal(unsigned.headers.get(ANSWER_SIGNATURE_HEADER), null)
  const token = readFileSync(join(w.dataDir, 'admin-token'), 'utf8').trim()
  const operator = await fetch(`${daemon.baseUrl}/api/v1/vms`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(30_000) })
  assert.equal(operator.status, 200)
  assert.equal(operator.headers.get(ANSWER_SIGNATURE_HEADER), null)
  // The VM's host key is the provider's, named in the signed /access answer: ssh sees exactly that key.
  const access = await raw(daemon, await alice.sign('GET', '/api/v1/vms/signed-vm/access'))
  const {
    ssh_port: port,
    ssh_host_keys: keys,
    ssh_host_key_fingerprints: fingerprints,
  } = JSON.parse(access.text) as {
    ssh_port: number
    ssh_host_keys: string[]
    ssh_host_key_fingerprints: string[]
  }
  assert.equal(keys.length, 1)
  assert.match(keys[0] ?? '', /^ssh-ed25519 AAAA/)
  const scanned = execFileSync('ssh-keyscan', ['-t', 'ed25519', '-p', String(port), '127.0.0.1'], { encoding: 'utf8', timeout: 30_000 })
  assert.equal(scanned.trim().split(/\s+/).slice(1, 3).join(' '), keys[0]?.split(' ').slice(0, 2).join(' '), 'the guest presents the issued key')
  const listed = execFileSync('ssh-keygen', ['-l', '-f', '-'], { input: `${keys[0] ?? ''}\n`, encoding: 'utf8' })
  assert.equal(listed.split(' ')[1], fingerprints[0])
  const deleted = await raw(daemon, await alice.sign('DELETE', '/api/v1/vms/signed-vm'))
  assert.equal(deleted.status, 200)
})
