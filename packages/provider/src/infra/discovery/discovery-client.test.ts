import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test, type TestContext } from 'node:test'
import { Wallet } from 'ethers'
import {
  ADVERTISEMENTS_PATH,
  DISCOVERY_AUDIENCE,
  NonceCache,
  SIGNATURE_HEADERS,
  advertisementPath,
  verifyRequest,
  type AdvertisementBody,
} from '@golem-vm/protocol'
import { DiscoveryClient, DiscoveryClientError, type DiscoveryFailureCode } from './discovery-client.js'

interface Seen {
  readonly method: string
  readonly url: string
  readonly headers: IncomingMessage['headers']
  readonly body: Buffer
}

type Handler = (req: Seen, res: ServerResponse) => void

// A stand-in discovery service on 127.0.0.1 that records requests and answers with `handler`.
async function fakeDiscovery(t: TestContext, handler: Handler): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) }
      seen.push(entry)
      handler(entry, res)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen }
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}

const AD: AdvertisementBody = {
  ip_address: '127.0.0.1',
  country: 'SE',
  resources: { cpu: 4, memory: 8, storage: 100 },
  provider_name: 'bench-ø',
  version: '0.2.0',
  arch: 'x86_64',
  api_port: 7466,
  ssh_ports_free: 3,
}

const stored = (providerId: string) => ({
  provider_id: providerId,
  ip_address: AD.ip_address,
  country: AD.country,
  resources: AD.resources,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
  provider_name: 'bench-ø',
  signed: true,
})

const header = (seen: Seen, name: string) => String(seen.headers[name])

const failsWith = (code: DiscoveryFailureCode, retryable: boolean) => (error: unknown) => {
  assert.ok(error instanceof DiscoveryClientError, String(error))
  assert.equal(error.code, code)
  assert.equal(error.retryable, retryable)
  return true
}

test('post signs the exact body bytes it sends; the protocol verifier recovers the provider id', async (t) => {
  const wallet = Wallet.createRandom()
  const discovery = await fakeDiscovery(t, (_req, res) => json(res, 200, stored(wallet.address)))
  const client = new DiscoveryClient({ baseUrl: `${discovery.url}/`, signer: wallet })
  const result = await client.post(AD)
  assert.equal(result.provider_id, wallet.address)
  const [req] = discovery.seen
  assert.ok(req !== undefined)
  assert.equal(req.method, 'POST')
  assert.equal(req.url, ADVERTISEMENTS_PATH)
  assert.equal(header(req, 'content-type'), 'application/json')
  assert.deepEqual(JSON.parse(req.body.toString('utf8')), AD)
  assert.equal(header(req, SIGNATURE_HEADERS.providerId), wallet.address)
  const verdict = verifyRequest(
    {
      audience: DISCOVERY_AUDIENCE,
      method: req.method,
      path: req.url,
      body: req.body,
      claimedSigner: header(req, SIGNATURE_HEADERS.providerId),
      signature: header(req, SIGNATURE_HEADERS.providerSignature),
      timestamp: header(req, SIGNATURE_HEADERS.timestamp),
      nonce: header(req, SIGNATURE_HEADERS.nonce),
    },
    new NonceCache(),
  )
  assert.deepEqual(verdict, { ok: true, signer: wallet.address })
})

test('delete is signed over an empty body; a missing advertisement is not an error', async (t) => {
  const wallet = Wallet.createRandom()
  let exists = true
  const discovery = await fakeDiscovery(t, (_req, res) => {
    if (exists) json(res, 200, { status: 'success' })
    else json(res, 404, { code: 'ADV_004', message: 'Advertisement not found', detail: { code: 'ADV_004', message: 'Advertisement not found' } })
    exists = false
  })
  const client = new DiscoveryClient({ baseUrl: discovery.url, signer: wallet })
  assert.deepEqual(await client.delete(wallet.address), { deleted: true })
  assert.deepEqual(await client.delete(wallet.address), { deleted: false })
  const [req] = discovery.seen
  assert.ok(req !== undefined)
  assert.equal(req.url, advertisementPath(wallet.address))
  assert.equal(req.body.length, 0)
  assert.equal(req.headers['content-type'], undefined)
  const verdict = verifyRequest(
    {
      audience: DISCOVERY_AUDIENCE,
      method: 'DELETE',
      path: req.url,
      body: '',
      claimedSigner: header(req, SIGNATURE_HEADERS.providerId),
      signature: header(req, SIGNATURE_HEADERS.providerSignature),
      timestamp: header(req, SIGNATURE_HEADERS.timestamp),
      nonce: header(req, SIGNATURE_HEADERS.nonce),
    },
    new NonceCache(),
  )
  assert.equal(verdict.ok, true)
})

test('signature timestamps never go backwards, even when the clock does', async (t) => {
  const wallet = Wallet.createRandom()
  const discovery = await fakeDiscovery(t, (_req, res) => json(res, 200, { status: 'success' }))
  const times = [5_000_000, 4_000_000]
  const client = new DiscoveryClient({ baseUrl: discovery.url, signer: wallet, now: () => times.shift() ?? 0 })
  await client.delete(wallet.address)
  await client.delete(wallet.address)
  assert.deepEqual(
    discovery.seen.map((s) => header(s, SIGNATURE_HEADERS.timestamp)),
    ['5000000', '5000000'],
  )
})

test('answers map to typed failures that say whether a retry can help', async (t) => {
  const wallet = Wallet.createRandom()
  let next: (res: ServerResponse) => void = () => undefined
  const discovery = await fakeDiscovery(t, (_req, res) => next(res))
  const client = new DiscoveryClient({ baseUrl: discovery.url, signer: wallet })
  const cases: [(res: ServerResponse) => void, DiscoveryFailureCode, boolean, string?][] = [
    [(res) => json(res, 401, { detail: { code: 'AUTH_001', message: 'Signature refused' } }), 'DISCOVERY_REFUSED', false, 'AUTH_001'],
    [(res) => json(res, 422, { code: 'ADV_005', message: 'bad', detail: { code: 'ADV_005', message: 'bad' } }), 'DISCOVERY_REFUSED', false, 'ADV_005'],
    [(res) => json(res, 429, { code: 'RATE_001', message: 'Rate limit exceeded' }), 'DISCOVERY_UNAVAILABLE', true, 'RATE_001'],
    [
      (res) => {
        res.writeHead(500, { 'content-type': 'text/plain' })
        res.end('Internal Server Error')
      },
      'DISCOVERY_UNAVAILABLE',
      true,
    ],
    [
      (res) => {
        res.writeHead(200, { 'content-type': 'text/html' })
        res.end('<html>')
      },
      'DISCOVERY_BAD_RESPONSE',
      false,
    ],
    [(res) => json(res, 200, { unexpected: true }), 'DISCOVERY_BAD_RESPONSE', false],
    [
      (res) => {
        res.writeHead(301, { location: 'https://elsewhere.example/' })
        res.end()
      },
      'DISCOVERY_BAD_RESPONSE',
      false,
    ],
  ]
  for (const [respond, code, retryable, serverCode] of cases) {
    next = respond
    await assert.rejects(client.post(AD), (error: unknown) => {
      failsWith(code, retryable)(error)
      assert.equal((error as DiscoveryClientError).serverCode, serverCode)
      return true
    })
  }
  assert.equal(discovery.seen.length, cases.length, 'no request was repeated by the client itself')
})

test('a service that does not answer times out; a closed port is unreachable; a caller abort is neither', async (t) => {
  const wallet = Wallet.createRandom()
  const silent = await fakeDiscovery(t, () => undefined)
  const slow = new DiscoveryClient({ baseUrl: silent.url, signer: wallet, timeoutMs: 200 })
  await assert.rejects(slow.post(AD), failsWith('DISCOVERY_TIMEOUT', true))
  const controller = new AbortController()
  const pending = new DiscoveryClient({ baseUrl: silent.url, signer: wallet, timeoutMs: 10_000 }).delete(wallet.address, controller.signal)
  setTimeout(() => controller.abort(), 50)
  await assert.rejects(pending, failsWith('DISCOVERY_ABORTED', false))

  const closed = createServer()
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
  const port = (closed.address() as AddressInfo).port
  await new Promise<void>((resolve) => closed.close(() => resolve()))
  const unreachable = new DiscoveryClient({ baseUrl: `http://127.0.0.1:${port}`, signer: wallet })
  await assert.rejects(unreachable.health(), (error: unknown) => {
    failsWith('DISCOVERY_UNREACHABLE', true)(error)
    assert.match((error as Error).message, /ECONNREFUSED/)
    return true
  })
})

test('health resolves on {"status":"healthy"} and is not signed', async (t) => {
  const wallet = Wallet.createRandom()
  const discovery = await fakeDiscovery(t, (_req, res) => json(res, 200, { status: 'healthy' }))
  await new DiscoveryClient({ baseUrl: discovery.url, signer: wallet }).health()
  const [req] = discovery.seen
  assert.ok(req !== undefined)
  assert.equal(req.url, '/health')
  assert.equal(req.headers[SIGNATURE_HEADERS.providerSignature], undefined)
})

test('a huge error body is read only up to the limit', async (t) => {
  const wallet = Wallet.createRandom()
  const discovery = await fakeDiscovery(t, (_req, res) => {
    res.writeHead(500, { 'content-type': 'text/plain' })
    res.end('x'.repeat(2_000_000))
  })
  const client = new DiscoveryClient({ baseUrl: discovery.url, signer: wallet, maxResponseBytes: 1024 })
  await assert.rejects(client.post(AD), failsWith('DISCOVERY_UNAVAILABLE', true))
})
