import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { FastifyRequest } from 'fastify'
import { SIGNATURE_HEADERS, signRequest } from '@golem-vm/protocol'
import { addressOfPrivateKey, recoverMessageSigner, signMessage } from '@golem-vm/protocol/eth'
import { ProviderError } from '../domain/errors.js'
import { createAuthenticator } from './auth.js'

const PROVIDER = `0x${'2'.repeat(40)}`
const KEY = `0x${'3'.repeat(64)}`

// A signed GET as the routes see it, from `address`.
async function signedRequest(address: string): Promise<FastifyRequest> {
  const signer = { getAddress: async () => addressOfPrivateKey(KEY), signMessage: async (m: string) => signMessage(KEY, m) }
  const s = await signRequest(signer, { audience: PROVIDER, method: 'GET', path: '/api/v1/vms', body: '' })
  const headers = {
    [SIGNATURE_HEADERS.requestor]: s.signer,
    [SIGNATURE_HEADERS.signature]: s.signature,
    [SIGNATURE_HEADERS.timestamp]: String(s.timestamp),
    [SIGNATURE_HEADERS.nonce]: s.nonce,
  }
  return { method: 'GET', url: '/api/v1/vms', headers, rawBody: undefined, socket: { remoteAddress: address } } as unknown as FastifyRequest
}

test('signatures are recovered by the given function, and at most N checks per address run at once', async () => {
  const waiting: (() => void)[] = []
  let calls = 0
  let hold = true
  // Holds every recovery until released: all checks are in flight together.
  const recover = (message: string, signature: string) =>
    new Promise<string>((resolve) => {
      calls++
      if (hold) waiting.push(() => resolve(recoverMessageSigner(message, signature)))
      else resolve(recoverMessageSigner(message, signature))
    })
  const auth = createAuthenticator({ audience: () => PROVIDER, adminToken: 'x'.repeat(32), allowUnsigned: false, recover, maxVerificationsPerAddress: 2 })
  const first = [auth.authenticate(await signedRequest('198.51.100.7')), auth.authenticate(await signedRequest('198.51.100.7'))]
  await assert.rejects(auth.authenticate(await signedRequest('198.51.100.7')), (e: ProviderError) => e.code === 'RATE_LIMITED')
  const other = auth.authenticate(await signedRequest('203.0.113.9'))
  assert.equal(calls, 3, 'the refused check never reached the recovery')
  hold = false
  for (const release of waiting) release()
  const callers = await Promise.all([...first, other])
  assert.deepEqual(
    callers.map((c) => (c.kind === 'renter' ? c.address : null)),
    Array(3).fill(addressOfPrivateKey(KEY)),
  )
  assert.equal((await auth.authenticate(await signedRequest('198.51.100.7'))).kind, 'renter', 'the address may check again once its checks ended')
})
