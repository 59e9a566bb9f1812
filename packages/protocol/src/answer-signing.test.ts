import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { test } from 'node:test'
import { Wallet } from 'ethers'
import { canonicalAnswer, signAnswer, verifyAnswer } from './answer-signing.js'

const answer = { nonce: 'ab'.repeat(16), method: 'GET', path: '/api/v1/vms/web/access', status: 200, body: '{"ssh_port":50800}' }

test('an answer signed by the provider verifies; any change to it, or another signer, does not', async () => {
  const provider = Wallet.createRandom()
  const signature = await signAnswer(provider, answer)
  assert.deepEqual(verifyAnswer({ ...answer, provider: provider.address }, signature), { ok: true })
  for (const changed of [
    { body: '{"ssh_port":50801}' },
    { status: 201 },
    { nonce: 'cd'.repeat(16) },
    { path: '/api/v1/vms/other/access' },
    { method: 'POST' },
  ]) {
    const result = verifyAnswer({ ...answer, ...changed, provider: provider.address }, signature)
    assert.equal(result.ok ? 'ok' : result.reason, 'WRONG_SIGNER', JSON.stringify(changed))
  }
  const impostor = Wallet.createRandom()
  assert.equal(verifyAnswer({ ...answer, provider: provider.address }, await signAnswer(impostor, answer)).ok, false)
  assert.deepEqual(verifyAnswer({ ...answer, provider: provider.address }, undefined), {
    ok: false,
    reason: 'UNSIGNED',
    message: 'the answer carries no signature',
  })
  assert.equal(verifyAnswer({ ...answer, provider: provider.address }, '0x12').ok, false)
})

test('the canonical answer names the scheme, the provider in lower case and every bound field on its own line', () => {
  const sha = createHash('sha256').update(answer.body).digest('hex')
  assert.equal(
    canonicalAnswer({ ...answer, provider: '0xABCDEF0000000000000000000000000000000001' }),
    [
      'golem-vm-answer/1',
      'provider: 0xabcdef0000000000000000000000000000000001',
      `nonce: ${'ab'.repeat(16)}`,
      'method: GET',
      'path: /api/v1/vms/web/access',
      'status: 200',
      `body-sha256: ${sha}`,
    ].join('\n'),
  )
})
