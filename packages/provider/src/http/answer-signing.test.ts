import assert from 'node:assert/strict'
import { test } from 'node:test'
import Fastify from 'fastify'
import { Wallet } from 'ethers'
import { ANSWER_SIGNATURE_HEADER, signAnswer, verifyAnswer } from '@golem-vm/protocol'
import type { Caller } from '../app/vm-service.js'
import { ProviderError } from '../domain/errors.js'
import { signAnswers, type AnswerSigner } from './answer-signing.js'
import { providerErrors } from './error-handler.js'

const PROVIDER = Wallet.createRandom()
const NONCE = 'ab'.repeat(16)

// A server with the hook and the real error handler; the caller comes from a test header, as the authentication hook would set it.
async function app(sign: AnswerSigner) {
  const server = Fastify()
  providerErrors.install(server)
  signAnswers(server, sign)
  server.addHook('preValidation', async (req) => {
    const who = req.headers['x-test-caller']
    if (who === 'operator') req.caller = { kind: 'operator' } satisfies Caller
    else if (who === 'unsigned') req.caller = { kind: 'renter', address: null }
    else if (who === 'renter') req.caller = { kind: 'renter', address: Wallet.createRandom().address }
  })
  server.get('/api/v1/vms/:id', async (req) => {
    if ((req.params as { id: string }).id === 'gone') throw new ProviderError('VM_NOT_FOUND', 'no VM "gone"')
    return { id: 'web', status: 'running', ssh_port: 50800 }
  })
  return server
}

const providerSigner: AnswerSigner = (answer) => signAnswer(PROVIDER, answer)

test('answers to signed requests carry a signature over the exact body, status, nonce, method and path; errors too', async (t) => {
  const server = await app(providerSigner)
  t.after(() => server.close())
  for (const [url, status] of [
    ['/api/v1/vms/web?x=1', 200],
    ['/api/v1/vms/gone', 404],
  ] as const) {
    const res = await server.inject({ method: 'GET', url, headers: { 'x-test-caller': 'renter', 'x-golem-nonce': NONCE } })
    assert.equal(res.statusCode, status)
    const signature = res.headers[ANSWER_SIGNATURE_HEADER]
    assert.equal(typeof signature, 'string', `${url} is signed`)
    const fields = { provider: PROVIDER.address, nonce: NONCE, method: 'GET', path: url, status, body: res.rawPayload }
    assert.deepEqual(verifyAnswer(fields, signature as string), { ok: true })
    assert.equal(verifyAnswer({ ...fields, body: `${res.body} ` }, signature as string).ok, false, 'a changed body does not verify')
    assert.equal(verifyAnswer({ ...fields, nonce: 'cd'.repeat(16) }, signature as string).ok, false, 'nor another request')
  }
})

test('the operator, unsigned and unauthenticated callers are answered unsigned; a signing failure sends the answer unsigned', async (t) => {
  let calls = 0
  const server = await app(async (answer) => {
    calls += 1
    return providerSigner(answer)
  })
  t.after(() => server.close())
  for (const who of ['operator', 'unsigned', 'nobody']) {
    const res = await server.inject({ method: 'GET', url: '/api/v1/vms/web', headers: { 'x-test-caller': who, 'x-golem-nonce': NONCE } })
    assert.equal(res.statusCode, 200)
    assert.equal(res.headers[ANSWER_SIGNATURE_HEADER], undefined, who)
  }
  assert.equal(calls, 0, 'nothing was signed for them')
  const failing = await app(() => Promise.reject(new Error('background thread gone')))
  t.after(() => failing.close())
  const res = await failing.inject({ method: 'GET', url: '/api/v1/vms/web', headers: { 'x-test-caller': 'renter', 'x-golem-nonce': NONCE } })
  assert.equal(res.statusCode, 200)
  assert.equal(res.headers[ANSWER_SIGNATURE_HEADER], undefined)
  assert.deepEqual(res.json(), { id: 'web', status: 'running', ssh_port: 50800 })
})
