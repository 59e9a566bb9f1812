import assert from 'node:assert/strict'
import { test } from 'node:test'
import { NonceCache, SIGNATURE_HEADERS, verifyRequest } from '@golem-vm/protocol'
import { Wallet } from 'ethers'
import { fakeServer, type SeenRequest } from '@golem-vm/common/fake-http-server'
import { RequestorError } from '../domain/errors.js'
import { ProviderClient } from './provider-client.js'

const provider = new Wallet(Wallet.createRandom().privateKey)
const renter = new Wallet(Wallet.createRandom().privateKey)
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGJ0ZXN0a2V5dGVzdGtleXRlc3RrZXl0ZXN0a2V5dGVz golem'

const vm = (name: string, status = 'running') => ({
  id: name,
  name,
  status,
  resources: { cpu: 1, memory: 1, storage: 10 },
  ip_address: '10.0.0.2',
  ssh_port: 50800,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
  error_message: null,
  image: '24.04',
})

const header = (req: SeenRequest, name: string): string | undefined => {
  const value = req.headers[name]
  return Array.isArray(value) ? value[0] : value
}

// Verifies a request exactly as the provider does: audience, method, raw URL and raw body.
function verify(req: SeenRequest, nonces = new NonceCache(), audience = provider.address) {
  return verifyRequest(
    {
      audience,
      method: req.method,
      path: req.url,
      body: req.body,
      claimedSigner: header(req, SIGNATURE_HEADERS.requestor),
      signature: header(req, SIGNATURE_HEADERS.signature),
      timestamp: header(req, SIGNATURE_HEADERS.timestamp),
      nonce: header(req, SIGNATURE_HEADERS.nonce),
    },
    nonces,
  )
}

// These fakes do not sign their answers (answer-check.test.ts tests that); the renter trusts them.
const clientFor = (baseUrl: string, timeoutMs?: number) =>
  new ProviderClient({
    baseUrl,
    providerId: provider.address,
    signer: renter,
    acceptUnsigned: true,
    ...(timeoutMs === undefined ? {} : { timeoutMs, longTimeoutMs: timeoutMs }),
  })

test('every call is signed for the provider over method, exact path and exact body; the signature verifies', async (t) => {
  const server = await fakeServer(t, (req) => {
    if (req.method === 'POST' && req.url === '/api/v1/vms') return { status: 201, json: vm('web-1') }
    if (req.url.endsWith('/access'))
      return { status: 200, json: { ssh_host: '127.0.0.1', ssh_port: 50800, ssh_user: 'ubuntu', vm_id: 'web-1', multipass_name: 'golem-web-1' } }
    if (req.method === 'DELETE') return { status: 200, json: { vm_id: 'web-1', status: 'deleted' } }
    if (req.url === '/api/v1/vms') return { status: 200, json: [vm('web-1')] }
    return { status: 200, json: vm('web-1', req.url.endsWith('/stop') ? 'stopped' : 'running') }
  })
  const client = clientFor(server.baseUrl)
  await client.create({ name: 'web-1', ssh_key: KEY, resources: { cpu: 1, memory: 1, storage: 10 } })
  await client.list()
  await client.get('web-1')
  await client.access('web-1')
  assert.equal((await client.stop('web-1')).status, 'stopped')
  await client.start('web-1')
  await client.delete('web-1')
  assert.deepEqual(
    server.requests.map((r) => `${r.method} ${r.url}`),
    [
      'POST /api/v1/vms',
      'GET /api/v1/vms',
      'GET /api/v1/vms/web-1',
      'GET /api/v1/vms/web-1/access',
      'POST /api/v1/vms/web-1/stop',
      'POST /api/v1/vms/web-1/start',
      'DELETE /api/v1/vms/web-1',
    ],
  )
  const nonces = new NonceCache()
  for (const req of server.requests) {
    const result = verify(req, nonces)
    assert.deepEqual(result, { ok: true, signer: renter.address }, `${req.method} ${req.url}`)
  }
  const create = server.requests[0]!
  assert.deepEqual(JSON.parse(create.body.toString()), { name: 'web-1', ssh_key: KEY, resources: { cpu: 1, memory: 1, storage: 10 } })
  assert.equal(create.headers['content-type'], 'application/json')
  assert.equal(server.requests[4]!.body.length, 0, 'start/stop carry no body')
  assert.equal(server.requests[4]!.headers['content-type'], undefined)
})

test('the signature covers the exact body and the audience: a changed body, path or provider does not verify', async (t) => {
  const server = await fakeServer(t, () => ({ status: 201, json: vm('web-1') }))
  await clientFor(server.baseUrl).create({ name: 'web-1', ssh_key: KEY, resources: { cpu: 1, memory: 1, storage: 10 } })
  const sent = server.requests[0]!
  const tampered = { ...sent, body: Buffer.from(sent.body.toString().replace('"cpu":1', '"cpu":2')) }
  assert.equal(verify(tampered).ok, false)
  assert.equal(verify({ ...sent, url: '/api/v1/vms?x=1' }).ok, false)
  assert.equal(verify(sent, new NonceCache(), Wallet.createRandom().address).ok, false)
  const nonces = new NonceCache()
  assert.equal(verify(sent, nonces).ok, true)
  assert.deepEqual(verify(sent, nonces), { ok: false, reason: 'REPLAYED_SIGNATURE', message: 'this signed request was already used; sign each request anew' })
})

test('each request gets a fresh nonce', async (t) => {
  const server = await fakeServer(t, () => ({ status: 200, json: [] }))
  const client = clientFor(server.baseUrl)
  await client.list()
  await client.list()
  const nonces = server.requests.map((r) => header(r, SIGNATURE_HEADERS.nonce))
  assert.notEqual(nonces[0], nonces[1])
})

test('provider error codes become requestor errors that say what to do', async (t) => {
  const cases: [number, string, string][] = [
    [409, 'VM_NAME_TAKEN', 'NAME_TAKEN'],
    [409, 'INSUFFICIENT_RESOURCES', 'CAPACITY_GONE'],
    [409, 'NO_FREE_PORT', 'CAPACITY_GONE'],
    [409, 'VM_BUSY', 'VM_BUSY'],
    [404, 'VM_NOT_FOUND', 'VM_NOT_FOUND'],
    [401, 'UNAUTHORIZED', 'UNAUTHORIZED'],
    [400, 'VALIDATION_FAILED', 'INVALID_REQUEST'],
    [429, 'RATE_LIMITED', 'RATE_LIMITED'],
    [502, 'BACKEND_FAILED', 'PROVIDER_FAILED'],
    [503, 'SHUTTING_DOWN', 'PROVIDER_TIMEOUT'],
  ]
  let next = cases[0]!
  const server = await fakeServer(t, () => ({
    status: next[0],
    json: { code: next[1], message: `provider says ${next[1]}`, detail: `provider says ${next[1]}` },
  }))
  const client = clientFor(server.baseUrl)
  for (const c of cases) {
    next = c
    await assert.rejects(client.get('web-1'), (error: unknown) => {
      assert.ok(error instanceof RequestorError)
      assert.equal(error.code, c[2], c[1])
      assert.match(error.message, new RegExp(`provider says ${c[1]}.*\\[${c[1]}\\]; \\w`))
      return true
    })
  }
})

test("an original provider's answers: its VM without image or ssh_user, null on delete, its errors by status and detail", async (t) => {
  let answer: { status: number; text: string; contentType?: string } = { status: 200, text: '' }
  const server = await fakeServer(t, () => answer)
  const client = clientFor(server.baseUrl)
  const original = {
    id: 'web-1',
    name: 'web-1',
    status: 'running',
    resources: { cpu: 1, memory: 1, storage: 10 },
    ip_address: '10.1.2.3',
    ssh_port: 50800,
    created_at: '2026-11-23T21:22:34.517340',
    updated_at: '2026-11-23T21:22:34.517345',
    error_message: null,
  }
  answer = { status: 200, text: JSON.stringify(original) }
  assert.deepEqual(await client.get('web-1'), { ...original, image: null, ports: [], payment: null })
  answer = { status: 200, text: JSON.stringify({ ssh_host: 'localhost', ssh_port: 50800, vm_id: 'web-1', multipass_name: 'golem-web-1-20261123-212225' }) }
  assert.deepEqual(await client.access('web-1'), { ssh_host: 'localhost', ssh_port: 50800, vm_id: 'web-1', ssh_user: null, ssh_host_keys: [] })
  answer = { status: 200, text: 'null' }
  await client.delete('web-1')
  answer = {
    status: 200,
    text: JSON.stringify({ ...original, id: 'nope', name: 'nope', status: 'error', ip_address: null, ssh_port: null, error_message: 'VM nope not found' }),
  }
  await assert.rejects(client.get('nope'), { code: 'VM_NOT_FOUND', message: /has no VM "nope" \(it answered "VM nope not found"\)/ })
  answer = { status: 404, text: '{"detail":"VM mapping not found"}' }
  await assert.rejects(client.access('nope'), { code: 'VM_NOT_FOUND', message: /^the provider refused: VM mapping not found \[HTTP 404\]; / })
  answer = { status: 404, text: '{"detail":"Not Found"}' }
  await assert.rejects(client.stop('web-1'), { code: 'NOT_SUPPORTED', message: /^the provider at http:\/\/127\.0\.0\.1:\d+ does not support stopping VMs$/ })
  await assert.rejects(client.start('web-1'), { code: 'NOT_SUPPORTED', message: /does not support starting VMs$/ })
  await assert.rejects(client.get('web-1'), { code: 'PROVIDER_FAILED', message: /has no route for reading the VM \(HTTP 404\)/ })
  answer = { status: 500, text: 'Internal Server Error', contentType: 'text/plain; charset=utf-8' }
  await assert.rejects(client.create({ name: 'web-1', ssh_key: KEY, resources: { cpu: 1, memory: 1, storage: 10 } }), {
    code: 'PROVIDER_FAILED',
    message: /failed while creating the VM \(HTTP 500: Internal Server Error\); try again later/,
  })
  answer = {
    status: 422,
    text: JSON.stringify({
      detail: [{ loc: ['body', 'name'], msg: 'string does not match regex "^[a-z0-9][a-z0-9-]*[a-z0-9]$"', type: 'value_error.str.regex' }],
    }),
  }
  await assert.rejects(client.create({ name: 'web-1', ssh_key: KEY, resources: { cpu: 1, memory: 1, storage: 10 } }), {
    code: 'INVALID_REQUEST',
    message: /^the provider refused: name: string does not match regex .* \[HTTP 422\]/,
  })
  answer = { status: 500, text: '{"detail":"500: multipass delete failed"}' }
  await assert.rejects(client.delete('web-1'), { code: 'PROVIDER_FAILED', message: /^the provider failed: 500: multipass delete failed \[HTTP 500\]/ })
})

test('what the renter acts on is checked strictly, and the message names the field', async (t) => {
  let text = ''
  const server = await fakeServer(t, () => ({ status: 200, text }))
  const client = clientFor(server.baseUrl)
  text = '{"id": 3}'
  await assert.rejects(client.get('x'), {
    code: 'BAD_RESPONSE',
    message: /answered reading the VM with something golem-vm cannot use \(id: .*\); it may run an incompatible version$/,
  })
  text = 'null'
  await assert.rejects(client.get('x'), { code: 'BAD_RESPONSE', message: /cannot use \(Invalid input: expected object, received null\)/ })
  text = JSON.stringify(vm('../../etc'))
  await assert.rejects(client.get('x'), { code: 'BAD_RESPONSE', message: /\(id: must use only/ }, 'an id that could be a path')
  text = JSON.stringify({ ssh_host: '1.2.3.4', ssh_port: 0, vm_id: 'web-1' })
  await assert.rejects(client.access('web-1'), { code: 'BAD_RESPONSE', message: /\(ssh_port: / })
  text = JSON.stringify({ status: 'gone' })
  await assert.rejects(client.delete('web-1'), { code: 'BAD_RESPONSE' })
  text = JSON.stringify([vm('vm-a'), { id: 'vm-b' }, vm('vm-c', 'deleted'), vm('vm-d', 'exploded')])
  const list = await client.list()
  assert.deepEqual(
    [list.vms.map((v) => [v.id, v.status]), list.malformed],
    [
      [
        ['vm-a', 'running'],
        ['vm-c', 'deleted'],
      ],
      2,
    ],
  )
  text = JSON.stringify({ ...vm('vm-a'), name: 'a\u001b]0;pwned\u0007', error_message: 'line\nforged', image: 7 })
  const shown = await client.get('vm-a')
  assert.deepEqual([shown.name, shown.error_message, shown.image], ['a\\u001b]0;pwned\\u0007', 'line\\u000aforged', null], 'outside text is made terminal-safe')
})

test('an unreachable provider and one that does not answer in time are told apart', async (t) => {
  await assert.rejects(clientFor('http://127.0.0.1:1').list(), { code: 'PROVIDER_UNREACHABLE', message: /ECONNREFUSED.*try again later/ })
  const server = await fakeServer(t, () => 'hang')
  await assert.rejects(clientFor(server.baseUrl, 200).list(), { code: 'PROVIDER_TIMEOUT' })
  const controller = new AbortController()
  const pending = clientFor(server.baseUrl, 5000).start('x', { signal: controller.signal })
  controller.abort()
  await assert.rejects(pending, { code: 'INTERRUPTED' })
})

test('port mappings: kept when well-formed, hostile entries dropped; an original provider has no ports routes (NOT_SUPPORTED)', async (t) => {
  let answer = { status: 200, text: '' }
  const server = await fakeServer(t, () => answer)
  const client = clientFor(server.baseUrl)
  const vm = {
    id: 'web-1',
    name: 'web-1',
    status: 'running',
    resources: { cpu: 1, memory: 1, storage: 10 },
    ip_address: null,
    ssh_port: 50800,
    created_at: 'c',
    updated_at: 'u',
    error_message: null,
    image: '24.04',
  }
  const ports = [
    { guest: 8080, protocol: 'tcp', public_port: 50801, host: '203.0.113.7' },
    { guest: 27015, protocol: 'udp', public_port: 50802, host: '203.0.113.7\u001b[31m' },
    { guest: 0, protocol: 'tcp', public_port: 50803, host: 'x' },
    { guest: 80, protocol: 'sctp', public_port: 50804, host: 'x' },
  ]
  answer = { status: 200, text: JSON.stringify({ ...vm, ports }) }
  const added = await client.addPorts('web-1', [{ guest: 8080, protocol: 'tcp' }])
  assert.deepEqual(
    added.ports.map((p) => [p.guest, p.protocol, p.public_port]),
    [
      [8080, 'tcp', 50801],
      [27015, 'udp', 50802],
    ],
  )
  assert.ok(!(added.ports[1]?.host ?? '').includes(String.fromCharCode(27)), 'no escape character kept')
  const request = server.requests.at(-1)
  assert.deepEqual(
    [request?.method, request?.url, JSON.parse(String(request?.body))],
    ['POST', '/api/v1/vms/web-1/ports', { ports: [{ guest: 8080, protocol: 'tcp' }] }],
  )
  answer = { status: 404, text: '{"detail":"Not Found"}' }
  await assert.rejects(client.addPorts('web-1', [{ guest: 80, protocol: 'tcp' }]), { code: 'NOT_SUPPORTED' })
  await assert.rejects(client.removePort('web-1', 50801), { code: 'NOT_SUPPORTED' })
})

test('host keys in /access: well-formed key lines are kept without their comments; anything that could break a known_hosts line is dropped', async (t) => {
  const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGJ0ZXN0a2V5dGVzdGtleXRlc3RrZXl0ZXN0a2V5dGVz'
  const server = await fakeServer(t, () => ({
    status: 200,
    json: {
      vm_id: 'web-1',
      ssh_port: 50800,
      ssh_host: '203.0.113.7',
      ssh_user: 'ubuntu',
      ssh_host_keys: [`${key} root@web-1`, `${key}\n* ssh-rsa AAAA`, 'evil', 7],
    },
  }))
  assert.deepEqual((await clientFor(server.baseUrl).access('web-1')).ssh_host_keys, [key])
})
