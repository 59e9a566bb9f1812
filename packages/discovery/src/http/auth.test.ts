import { strict as assert } from 'node:assert'
import { test } from 'node:test'
import { Wallet, type Signer } from 'ethers'
import { NonceCache, signDiscoveryRequest } from '@golem-vm/protocol'
import { DiscoveryError } from '../domain/errors.js'
import { authenticate, preAuthenticate, type AuthOptions, type AuthRequest } from './auth.js'

const NOW = Date.parse('2026-11-24T10:00:00.000Z')
const PATH = '/api/v1/advertisements'
const BODY = '{"ip_address":"203.0.113.7","country":"SE","resources":{"cpu":1,"memory":1,"storage":1}}'
const wallet = Wallet.createRandom()
const other = Wallet.createRandom()

const options = (over: Partial<AuthOptions> = {}): AuthOptions => ({
  allowUnsigned: false,
  maxSkewMs: 120_000,
  nonces: new NonceCache(240_000),
  now: () => NOW,
  ...over,
})

async function signed(body = BODY, at = NOW, signer: Signer = wallet): Promise<AuthRequest> {
  const headers = await signDiscoveryRequest(signer, { method: 'POST', path: PATH, body }, at)
  return { method: 'POST', url: PATH, headers, rawBody: Buffer.from(body) }
}

function refusedWith(code: string): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof DiscoveryError)
    assert.equal(error.code, code, error.message)
    return true
  }
}

test('a correctly signed request yields the checksummed signer and the signing time', async () => {
  const req = await signed()
  const poster = authenticate({ ...req, headers: { ...req.headers, 'x-provider-id': wallet.address.toLowerCase() } }, options())
  const nonce = req.headers['x-golem-nonce'] ?? ''
  assert.deepEqual(poster, {
    providerId: wallet.address,
    proof: { signed: true, signedAt: NOW, nonce },
    post: { path: PATH, timestamp: NOW, nonce, signature: req.headers['x-provider-signature'] },
  })
})

test('the headers alone refuse what cannot be authentic, before any body is read', async () => {
  const req = await signed()
  const headers = req.headers
  assert.doesNotThrow(() => preAuthenticate({ headers }, options()))
  assert.throws(() => preAuthenticate({ headers: { ...headers, 'x-golem-nonce': undefined } }, options()), refusedWith('AUTH_003'))
  assert.throws(() => preAuthenticate({ headers: { ...headers, 'x-golem-timestamp': 'soon' } }, options()), refusedWith('AUTH_006'))
  assert.throws(() => preAuthenticate({ headers: { ...headers, 'x-provider-id': 'me' } }, options()), refusedWith('AUTH_006'))
  assert.throws(() => preAuthenticate({ headers }, options({ now: () => NOW + 200_000 })), refusedWith('AUTH_002'))
  assert.throws(
    () => preAuthenticate({ headers: { 'x-provider-id': wallet.address, 'x-provider-signature': 'signature' } }, options()),
    refusedWith('AUTH_008'),
  )
  const used = options()
  authenticate(req, used)
  assert.throws(() => preAuthenticate({ headers }, used), refusedWith('AUTH_005'))
})

test('a signature by another key is AUTH_001', async () => {
  const req = await signed(BODY, NOW, other)
  assert.throws(() => authenticate({ ...req, headers: { ...req.headers, 'x-provider-id': wallet.address } }, options()), refusedWith('AUTH_001'))
})

test('an altered body, path or method is AUTH_001', async () => {
  const req = await signed()
  const opts = options()
  assert.throws(() => authenticate({ ...req, rawBody: Buffer.from(BODY.replace('203.0.113.7', '198.51.100.6')) }, opts), refusedWith('AUTH_001'))
  assert.throws(() => authenticate({ ...req, rawBody: Buffer.from(`${BODY} `) }, opts), refusedWith('AUTH_001'))
  assert.throws(() => authenticate({ ...req, url: `${PATH}?x=1` }, opts), refusedWith('AUTH_001'))
  assert.throws(() => authenticate({ ...req, method: 'DELETE' }, opts), refusedWith('AUTH_001'))
})

test('a replayed request is AUTH_005', async () => {
  const req = await signed()
  const opts = options()
  authenticate(req, opts)
  assert.throws(() => authenticate(req, opts), refusedWith('AUTH_005'))
})

test('a timestamp outside the allowed skew is AUTH_002', async () => {
  const stale = await signed(BODY, NOW - 121_000)
  const edge = await signed(BODY, NOW + 120_000)
  assert.throws(() => authenticate(stale, options()), refusedWith('AUTH_002'))
  assert.doesNotThrow(() => authenticate(edge, options()))
})

test('missing credentials are AUTH_003; malformed ones AUTH_006', async () => {
  const req = await signed()
  const without = (name: string): AuthRequest => ({ ...req, headers: { ...req.headers, [name]: undefined } })
  assert.throws(() => authenticate({ ...req, headers: {} }, options()), refusedWith('AUTH_003'))
  assert.throws(() => authenticate(without('x-provider-signature'), options()), refusedWith('AUTH_003'))
  assert.throws(() => authenticate({ ...req, headers: { ...req.headers, 'x-provider-id': '' } }, options()), refusedWith('AUTH_003'))
  assert.throws(() => authenticate(without('x-golem-nonce'), options()), refusedWith('AUTH_003'))
  assert.throws(() => authenticate({ ...req, headers: { ...req.headers, 'x-golem-nonce': 'XYZ' } }, options()), refusedWith('AUTH_006'))
  assert.throws(() => authenticate({ ...req, headers: { ...req.headers, 'x-provider-id': 'provider-1' } }, options()), refusedWith('AUTH_006'))
})

test("the original's unsigned request is AUTH_008 unless the transition mode allows it", () => {
  const legacy: AuthRequest = {
    method: 'POST',
    url: PATH,
    rawBody: Buffer.from(BODY),
    headers: { 'x-provider-id': wallet.address.toLowerCase(), 'x-provider-signature': 'signature' },
  }
  assert.throws(() => authenticate(legacy, options()), refusedWith('AUTH_008'))
  assert.deepEqual(authenticate(legacy, options({ allowUnsigned: true })), { providerId: wallet.address, proof: { signed: false }, post: null })
  const badId = { ...legacy, headers: { ...legacy.headers, 'x-provider-id': 'me' } }
  assert.throws(() => authenticate(badId, options({ allowUnsigned: true })), refusedWith('AUTH_006'))
})
