/**
 * Attacks from the hardening run (issue 15 items 2, 3 and 12), against the
 * real process: a Sybil flood of signed adverts from fresh keys, request
 * bodies that never finish, piles of connections from one address, and
 * advertised addresses renters must never be sent to.
 */
import { strict as assert } from 'node:assert'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { Agent, request } from 'node:http'
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { Wallet } from 'ethers'
import { ADVERTISEMENTS_PATH, DISCOVERY_AUDIENCE, SIGNATURE_HEADERS, canonicalMessage } from '@golem-vm/protocol'
import { addressOfPrivateKey, signMessage } from '@golem-vm/protocol/eth'
import { startDiscovery, tempDir } from './helpers/discovery-process.js'
import { codeOf, get, send, signedPost } from './helpers/provider.js'

const CLI = fileURLToPath(new URL('../../../requestor/bin/golem-vm.js', import.meta.url))
const PRODUCTION = { GOLEM_DISCOVERY_ENVIRONMENT: 'production', GOLEM_DISCOVERY_ADDRESS_CHECK: 'source', GOLEM_DISCOVERY_RATE_LIMIT_PER_MINUTE: '0' }

// A signed advert post from a fresh key, claiming `ip` (noble-curves directly: thousands are needed).
function sybilPost(ip: string): { headers: Record<string, string>; body: string } {
  const key = `0x${randomBytes(32).toString('hex')}`
  const signer = addressOfPrivateKey(key)
  const body = JSON.stringify({ ip_address: ip, country: 'SE', resources: { cpu: 64, memory: 512, storage: 4000 }, provider_name: 'cheap-and-fast' })
  const timestamp = Date.now()
  const nonce = randomBytes(16).toString('hex')
  const message = canonicalMessage({ audience: DISCOVERY_AUDIENCE, method: 'POST', path: ADVERTISEMENTS_PATH, body, signer, timestamp, nonce })
  return {
    body,
    headers: {
      'content-type': 'application/json',
      [SIGNATURE_HEADERS.providerId]: signer,
      [SIGNATURE_HEADERS.providerSignature]: signMessage(key, message),
      [SIGNATURE_HEADERS.timestamp]: String(timestamp),
      [SIGNATURE_HEADERS.nonce]: nonce,
    },
  }
}

// POSTs from a chosen local (source) address; resolves with the status.
function postFrom(agent: Agent, base: string, post: { headers: Record<string, string>; body: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${ADVERTISEMENTS_PATH}`, { method: 'POST', headers: post.headers, agent, timeout: 30_000 }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.on('error', reject)
    req.end(post.body)
  })
}

test('a Sybil flood of 4,000 signed adverts from fresh keys no longer takes the listing', async (t) => {
  const service = await startDiscovery(t, { env: { ...PRODUCTION, GOLEM_DISCOVERY_ALLOW_PRIVATE_ADDRESSES: 'true' } })
  const honest = Wallet.createRandom()
  assert.equal(
    (await send(service.url, await signedPost(honest, { ip_address: '127.0.0.1', country: 'SE', resources: { cpu: 2, memory: 4, storage: 20 } }))).status,
    200,
  )

  // 40 attacker addresses (127.0.1.1-40), 100 adverts each; half claim another address than they post from.
  const statuses = new Map<number, number>()
  const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1)
  await Promise.all(
    Array.from({ length: 40 }, async (_, k) => {
      const source = `127.0.1.${k + 1}`
      const agent = new Agent({ keepAlive: true, maxSockets: 1, localAddress: source })
      try {
        for (let i = 0; i < 100; i++) count(await postFrom(agent, service.url, sybilPost(i % 2 === 0 ? source : `127.0.2.${(k + i) % 250}`)))
      } finally {
        agent.destroy()
      }
    }),
  )
  assert.equal(
    [...statuses.values()].reduce((a, b) => a + b, 0),
    4000,
  )
  assert.equal(statuses.get(200), 40 * 4, 'at most 4 providers per address')
  assert.equal(statuses.get(403), 2000, "an advert for another address than the sender's: ADV_009")
  assert.equal(statuses.get(409), 2000 - 160, 'the fifth and later provider of an address: ADV_011')

  const page = await fetch(`${service.url}${ADVERTISEMENTS_PATH}`)
  assert.equal(((await page.json()) as unknown[]).length, 100, 'one page of 100')
  assert.match(page.headers.get('link') ?? '', /rel="next"/)
  const renter = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [CLI, 'providers', '--json'],
      {
        env: { PATH: process.env.PATH, HOME: tempDir(t), GOLEM_REQUESTOR_DATA_DIR: join(tempDir(t), 'renter'), GOLEM_REQUESTOR_DISCOVERY_URL: service.url },
        timeout: 120_000,
      },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : Number(error.code ?? -1), stdout, stderr }),
    )
  })
  assert.equal(renter.code, 0, renter.stderr)
  const listed = (JSON.parse(renter.stdout) as { providers: { provider_id: string }[] }).providers
  assert.equal(listed.length, 161, 'the renter pages through every advert and still finds the honest provider')
  assert.ok(listed.some((p) => p.provider_id === honest.address))
})

test('advertised addresses renters must not be sent to are refused in production', async (t) => {
  const service = await startDiscovery(t, { env: PRODUCTION })
  const wallet = Wallet.createRandom()
  for (const ip of ['127.0.0.1', '10.0.0.5', '169.254.169.254', '100.64.0.1', '224.0.0.1', '::1', 'fe80::1']) {
    const refused = await send(service.url, await signedPost(wallet, { ip_address: ip, country: 'SE', resources: { cpu: 1, memory: 1, storage: 1 } }))
    assert.equal(refused.status, 422, ip)
    assert.equal(codeOf(refused.json), 'ADV_010', ip)
  }
  const elsewhere = await send(service.url, await signedPost(wallet, { ip_address: '8.8.8.8', country: 'SE', resources: { cpu: 1, memory: 1, storage: 1 } }))
  assert.equal(elsewhere.status, 403, "a public address, but not the sender's")
  assert.equal(codeOf(elsewhere.json), 'ADV_009')
  assert.deepEqual((await get(service.url, ADVERTISEMENTS_PATH)).json, [], 'nothing was stored')
})

// Opens a raw connection from `localAddress`; resolves once connected.
function open(port: number, localAddress: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress })
    socket.once('connect', () => resolve(socket))
    socket.once('error', reject)
  })
}

// Resolves with what the server sent before it closed the connection (bounded).
function closedBy(socket: Socket, timeoutMs: number): Promise<{ closed: boolean; received: string }> {
  let received = ''
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1')
  })
  socket.on('error', () => undefined)
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ closed: false, received }), timeoutMs)
    socket.once('close', () => {
      clearTimeout(timer)
      resolve({ closed: true, received })
    })
  })
}

test('slow or endless request bodies and piles of connections from one address', async (t) => {
  const service = await startDiscovery(t, { env: { GOLEM_DISCOVERY_REQUEST_TIMEOUT_SECONDS: '1', GOLEM_DISCOVERY_MAX_CONNECTIONS_PER_ADDRESS: '10' } })
  const head = (headers: string) =>
    `POST ${ADVERTISEMENTS_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n${headers}\r\n{"ip_`

  await t.test('a body without credentials is refused from its headers, before it is read, and the connection closed', async () => {
    const socket = await open(service.port, '127.0.0.3')
    socket.write(head(''))
    const outcome = await closedBy(socket, 5_000)
    assert.ok(outcome.closed)
    assert.match(outcome.received, /^HTTP\/1\.1 401 /)
    assert.match(outcome.received, /AUTH_003/)
  })

  await t.test('a signed body that never finishes is cut off at the request deadline', async () => {
    const post = await signedPost(Wallet.createRandom(), { ip_address: '127.0.0.1', country: 'SE', resources: { cpu: 1, memory: 1, storage: 1 } })
    const socket = await open(service.port, '127.0.0.4')
    socket.write(
      head(
        Object.entries(post.headers)
          .filter(([k]) => k !== 'content-type')
          .map(([k, v]) => `${k}: ${v}\r\n`)
          .join(''),
      ),
    )
    const trickle = setInterval(() => socket.write(' '), 200)
    const outcome = await closedBy(socket, 10_000)
    clearInterval(trickle)
    assert.ok(outcome.closed, 'the server closed the connection')
    assert.match(outcome.received, /^HTTP\/1\.1 408 |^$/)
  })

  await t.test('one address holds at most 10 connections; others are still served', async () => {
    const sockets = await Promise.all(Array.from({ length: 30 }, () => open(service.port, '127.0.0.5')))
    t.after(() => {
      for (const s of sockets) s.destroy()
    })
    for (const s of sockets) s.on('error', () => undefined)
    await sleep(500)
    assert.equal(sockets.filter((s) => s.destroyed).length, 20, '20 of 30 connections were closed at once')
    assert.equal((await get(service.url, '/health')).status, 200, 'a client from another address is served')
  })
})
