/**
 * Attacks on the renter, each run against the real `golem-vm` process by a
 * hostile provider or discovery service (in-process servers on 127.0.0.1):
 * names that are paths, terminal escape sequences, private addresses and
 * the cloud metadata address, answers that never end or never finish.
 * Each shows the attack failing and nothing else changing.
 */
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { Wallet } from 'ethers'
import { ANSWER_SIGNATURE_HEADER, signAnswer } from '@golem-vm/protocol'
import { fakeServer } from '@golem-vm/common/fake-http-server'
import { cli, json, tempDir, type CliEnv } from './helpers/network.js'
import { withProof } from './helpers/signed-advertisement.js'

const PROVIDER_KEY = Wallet.createRandom().privateKey
const PROVIDER = new Wallet(PROVIDER_KEY).address
// Every control character but the line feed.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const ESCAPES = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/u

const vm = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  name: id,
  status: 'running',
  resources: { cpu: 1, memory: 1, storage: 10 },
  ip_address: '10.0.0.2',
  ssh_port: 50800,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
  error_message: null,
  image: '24.04',
  ...extra,
})

interface Hostile {
  readonly port: number
  readonly seen: string[]
  /** Bytes written to each answer before the client went away. */
  readonly written: number[]
}

/** A provider whose every answer is `handler`'s; records `METHOD path` of each request. */
async function hostile(t: TestContext, handler: (req: IncomingMessage, res: ServerResponse, h: Hostile) => void): Promise<Hostile> {
  const h = { port: 0, seen: [] as string[], written: [] as number[] }
  const server = createServer((req, res) => {
    h.seen.push(`${req.method ?? ''} ${req.url ?? ''}`)
    req.resume()
    req.on('end', () => handler(req, res, h))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  h.port = (server.address() as AddressInfo).port
  return h
}

/** A discovery service (this project's format) advertising {@link PROVIDER} at 127.0.0.1:`port`, signed by it. */
async function discoveryFor(t: TestContext, port: number, extra: Record<string, unknown> = {}): Promise<string> {
  const ad = withProof(
    {
      provider_id: PROVIDER,
      ip_address: '127.0.0.1',
      api_port: port,
      country: 'SE',
      resources: { cpu: 4, memory: 8, storage: 100 },
      created_at: 'c',
      updated_at: 'u',
      provider_name: 'p',
      signed: true,
      ...extra,
    },
    PROVIDER_KEY,
  )
  const server = await fakeServer(t, (req) => (req.url.endsWith(PROVIDER) ? { status: 200, json: ad } : { status: 200, json: [ad] }))
  return server.baseUrl
}

// Answers as the provider does: JSON, signed with its key for this request (golem-vm-answer/1); the attacks are the provider's own.
function answer(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  void signAnswer(new Wallet(PROVIDER_KEY), {
    nonce: String(req.headers['x-golem-nonce']),
    method: req.method ?? '',
    path: req.url ?? '',
    status,
    body: text,
  }).then((signature) => {
    res.writeHead(status, { 'content-type': 'application/json', [ANSWER_SIGNATURE_HEADER]: signature }).end(text)
  })
}

// Streams `chunk` for as long as the client reads, counting what it wrote.
function endless(res: ServerResponse, h: Hostile, chunk: Buffer): void {
  let sent = 0
  res.writeHead(200, { 'content-type': 'application/json' })
  const pump = (): void => {
    while (!res.destroyed && res.write(chunk)) sent += chunk.length
  }
  res.on('drain', pump)
  res.on('close', () => h.written.push(sent))
  pump()
}

test('names that are paths: refused before any request, nothing outside the data dir touched', async (t) => {
  const dir = tempDir(t)
  const provider = await hostile(t, (req, res) => {
    const body =
      req.method === 'GET' && req.url === '/api/v1/vms'
        ? [vm('web-1'), vm('../../victim'), vm('web-2', { name: '../../victim' })]
        : { vm_id: 'web-1', status: 'deleted' }
    answer(req, res, 200, body)
  })
  const env: CliEnv = { dataDir: join(dir, 'data'), discoveryUrl: await discoveryFor(t, provider.port) }
  writeFileSync(join(dir, 'victim'), 'keep')

  const list = await cli(['list', '--provider-id', PROVIDER], env)
  assert.equal(list.code, 0, list.stderr)
  assert.doesNotMatch(list.stdout, /victim/, 'a VM whose id is a path is not shown; one whose name is, is shown by its id')
  assert.match(list.stdout, /^web-2 /m)
  assert.match(list.stderr, /1 entry of the provider's list hidden/)

  for (const name of ['../../victim', '../victim', '/etc/passwd', 'a/../../b']) {
    const result = await cli(['destroy', name, '--provider-id', PROVIDER, '--json'], env)
    assert.equal(result.code, 2, result.stdout)
    assert.equal(json<{ error: { code: string } }>(result).error.code, 'INVALID_ARGUMENT')
  }
  assert.equal(readFileSync(join(dir, 'victim'), 'utf8'), 'keep')
  assert.ok(!provider.seen.some((s) => s.startsWith('DELETE')), 'no request was sent')

  mkdirSync(join(dir, 'elsewhere'))
  writeFileSync(join(dir, 'elsewhere', 'web-1'), 'keep')
  symlinkSync(join(dir, 'elsewhere'), join(env.dataDir, 'known_hosts'))
  const linked = await cli(['destroy', 'web-1', '--provider-id', PROVIDER], env)
  assert.equal(linked.code, 1, linked.stderr)
  assert.match(linked.stderr, /known_hosts is not a directory \(a symbolic link\)/)
  assert.equal(readFileSync(join(dir, 'elsewhere', 'web-1'), 'utf8'), 'keep')
})

test('terminal escapes from a provider or a discovery service reach the terminal only as visible text', async (t) => {
  const evil = '\u001b]0;pwned\u0007\u001b[2J\r\ngolem-vm: provider VERIFIED \u009b31m\u202e'
  const provider = await hostile(t, (req, res) => {
    if (req.url === '/api/v1/vms/web-1') answer(req, res, 404, { code: 'VM_NOT_FOUND', message: evil })
    else
      answer(
        req,
        res,
        200,
        req.url === '/api/v1/vms'
          ? [vm('web-2', { error_message: evil, status: 'error', created_at: evil })]
          : vm('web-2', { error_message: evil, name: evil }),
      )
  })
  const env: CliEnv = { dataDir: join(tempDir(t), 'data'), discoveryUrl: await discoveryFor(t, provider.port) }
  // A provider's own signed body cannot carry control characters (the advertisement schema refuses them); a discovery service's listing can.
  const unsignedEvil = {
    provider_id: PROVIDER,
    ip_address: '127.0.0.1',
    api_port: provider.port,
    country: 'SE',
    resources: { cpu: 4, memory: 8, storage: 100 },
    created_at: evil,
    updated_at: evil,
    provider_name: evil,
    signed: false,
  }
  const evilDiscovery = (await fakeServer(t, () => ({ status: 200, json: [unsignedEvil] }))).baseUrl
  const refused = await cli(['info', 'web-1', '--provider-id', PROVIDER], env)
  const infoJson = await cli(['info', 'web-2', '--provider-id', PROVIDER, '--json'], env)
  const runs = [
    refused,
    infoJson,
    await cli(['info', 'web-2', '--provider-id', PROVIDER], env),
    await cli(['list', '--provider-id', PROVIDER], env),
    await cli(['providers', '--include-unverified'], { ...env, discoveryUrl: evilDiscovery }),
    await cli(['providers', '--include-unverified', '--json'], { ...env, discoveryUrl: evilDiscovery }),
  ]
  assert.equal(refused.code, 3)
  assert.equal(refused.stderr.split('\n').filter(Boolean).length, 1, `one line, no forged second one: ${refused.stderr}`)
  assert.match(refused.stderr, /\\u001b\]0;pwned\\u0007\\u001b\[2J\\u000d\\u000agolem-vm: provider VERIFIED \\u009b31m\\u202e/)
  for (const run of runs) assert.doesNotMatch(run.stdout + run.stderr, ESCAPES, JSON.stringify(run))
  for (const run of runs.slice(2)) assert.match(run.stdout, /\\u001b\]0;pwned/, `the outside text is shown, escaped: ${run.stdout}`)
  assert.doesNotMatch(runs.map((r) => r.stdout + r.stderr).join(''), /\u202e/u)
  assert.equal(json<{ vm: { error_message: string } }>(infoJson).vm.error_message.startsWith('\\u001b]0;pwned'), true, 'JSON output is still JSON')
})

test('in production, providers and SSH hosts at private addresses (169.254.169.254 too) are refused; the flag allows them', async (t) => {
  const dir = tempDir(t)
  const provider = await hostile(t, (req, res) => {
    const body =
      req.url === '/api/v1/vms' ? vm('web-1') : { vm_id: 'web-1', ssh_port: 2222, ssh_host: '169.254.169.254', ssh_user: 'ubuntu', multipass_name: 'x' }
    answer(req, res, req.method === 'POST' ? 201 : 200, body)
  })
  const fakeSshDir = join(dir, 'bin')
  mkdirSync(fakeSshDir)
  writeFileSync(join(fakeSshDir, 'ssh'), `#!/bin/sh\necho "$@" > '${join(dir, 'ssh-ran')}'\n`, { mode: 0o755 })
  const env: CliEnv = {
    dataDir: join(dir, 'data'),
    discoveryUrl: await discoveryFor(t, provider.port),
    environment: 'production',
    extra: { PATH: `${fakeSshDir}:${process.env.PATH ?? ''}` },
  }

  const refused = await cli(['create', 'web-1', '--provider-id', PROVIDER, '--size', 'small', '--json'], env)
  assert.equal(refused.code, 6, refused.stdout)
  assert.match(
    json<{ error: { code: string; message: string } }>(refused).error.message,
    /is at 127\.0\.0\.1, a loopback address; golem-vm connects only to public addresses .*--allow-private-addresses/,
  )
  assert.deepEqual(provider.seen, [], 'the provider was never contacted')
  assert.deepEqual(json<{ rentals: unknown[] }>(await cli(['list', '--json'], env)).rentals, [], 'nothing recorded')

  const allowed = await cli(['--allow-private-addresses', 'create', 'web-1', '--provider-id', PROVIDER, '--size', 'small'], env)
  assert.equal(allowed.code, 0, allowed.stderr)
  const ssh = await cli(['ssh', 'web-1', '--', 'true'], env)
  assert.equal(ssh.code, 6, ssh.stderr)
  assert.match(ssh.stderr, /gave 169\.254\.169\.254 as the SSH address of "web-1", a link-local address/)
  assert.equal(existsSync(join(dir, 'ssh-ran')), false, 'ssh never ran')
  assert.equal((await cli(['ssh', 'web-1', '--allow-private-addresses', '--', 'true'], env)).code, 0)
  assert.match(readFileSync(join(dir, 'ssh-ran'), 'utf8'), /ubuntu@169\.254\.169\.254 true/)
})

test('answers that never end are cut off at the size cap; answers that never finish at the deadline', { timeout: 120_000 }, async (t) => {
  const chunk = Buffer.alloc(64 * 1024, 0x20)
  const flood = await hostile(t, (_req, res, h) => endless(res, h, chunk))
  const env: CliEnv = { dataDir: join(tempDir(t), 'data'), discoveryUrl: await discoveryFor(t, flood.port) }
  const started = Date.now()
  const info = await cli(['info', 'web-1', '--provider-id', PROVIDER, '--json'], env)
  assert.equal(info.code, 7, info.stdout)
  assert.match(json<{ error: { message: string } }>(info).error.message, /answered reading the VM with too much data \(the answer exceeds 1048576 bytes\)/)
  assert.ok(Date.now() - started < 20_000)
  assert.ok((flood.written[0] ?? Infinity) < 16 * 1024 * 1024, `the CLI stopped reading: ${flood.written[0] ?? 'never closed'} bytes were sent`)

  const floodingDiscovery = await hostile(t, (_req, res, h) => endless(res, h, chunk))
  const viaDiscovery = await cli(['create', 'web-1', '--provider-id', PROVIDER, '--size', 'small'], {
    ...env,
    discoveryUrl: `http://127.0.0.1:${floodingDiscovery.port}`,
  })
  assert.notEqual(viaDiscovery.code, 0)
  assert.ok((floodingDiscovery.written[0] ?? Infinity) < 16 * 1024 * 1024, 'the CLI stopped reading the discovery service')

  // Headers at once, then one byte a second: only the deadline ends it.
  const trickle = (_req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, { 'content-type': 'application/json' })
    const timer = setInterval(() => res.write(' '), 1000)
    res.on('close', () => clearInterval(timer))
  }
  const slow = await hostile(t, trickle)
  const slowEnv = { ...env, discoveryUrl: await discoveryFor(t, slow.port), extra: { GOLEM_REQUESTOR_CREATE_TIMEOUT: '10' } }
  const stop = await cli(['stop', 'web-1', '--provider-id', PROVIDER, '--json'], slowEnv)
  assert.equal(stop.code, 5, stop.stdout)
  assert.match(json<{ error: { message: string } }>(stop).error.message, /did not answer in time while stopping VMs \(no complete answer within 10 s\)/)
  const slowDiscovery = await hostile(t, trickle)
  const lookup = await cli(['providers'], { ...env, discoveryUrl: `http://127.0.0.1:${slowDiscovery.port}` })
  assert.equal(lookup.code, 5, lookup.stderr)
  assert.match(lookup.stderr, /did not answer \(no complete answer within 15 s\)/)
})
