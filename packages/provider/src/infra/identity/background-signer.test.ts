import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Wallet } from 'ethers'
import { NonceCache, signRequest, verifyRequest } from '@golem-vm/protocol'
import { BackgroundSigner } from './background-signer.js'

test("signatures made on the background thread are the key's own, and verify as signed requests", async () => {
  const wallet = Wallet.createRandom()
  const signer = new BackgroundSigner(wallet)
  assert.equal(await signer.getAddress(), wallet.address)
  // personal_sign is deterministic (RFC 6979): the thread's signature is exactly the wallet's.
  for (const message of ['hello', 'golem-vm-request/1\naudience: discovery', '']) {
    assert.equal(await signer.signMessage(message), await wallet.signMessage(message))
  }
  const body = JSON.stringify({ cpu: 2 })
  const signed = await signRequest(signer, { audience: 'discovery', method: 'POST', path: '/api/v1/advertisements', body })
  const verdict = verifyRequest(
    {
      audience: 'discovery',
      method: 'POST',
      path: '/api/v1/advertisements',
      body,
      claimedSigner: signed.signer,
      signature: signed.signature,
      timestamp: String(signed.timestamp),
      nonce: signed.nonce,
    },
    new NonceCache(),
  )
  assert.deepEqual(verdict, { ok: true, signer: wallet.address })
})

test('two keys in turn each sign with their own key', async () => {
  const [a, b] = [Wallet.createRandom(), Wallet.createRandom()]
  const [sa, sb] = [new BackgroundSigner(a), new BackgroundSigner(b)]
  assert.equal(await sa.signMessage('x'), await a.signMessage('x'))
  assert.equal(await sb.signMessage('x'), await b.signMessage('x'))
  assert.equal(await sa.signMessage('y'), await a.signMessage('y'))
})
