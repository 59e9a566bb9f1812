/**
 * The whole network on 127.0.0.1 as real processes: the discovery service,
 * the port checker, a provider daemon with the fake `multipass` (a real sshd
 * per VM) whose SSH ports the port checker verifies, and the `golem-vm` CLI. A renter finds the provider, rents a VM, logs in with ssh,
 * stops and starts it, and destroys it; a second renter can neither see,
 * read, stop, start nor delete it; a changed host key is refused loudly; the
 * provider refuses replayed and tampered requests.
 */
import assert from 'node:assert/strict'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import { test } from 'node:test'
import { Wallet } from 'ethers'
import type { ProviderOffer } from '../src/domain/offers.js'
import type { Rental } from '../src/domain/rental.js'
import { ProviderClient } from '../src/infra/provider-client.js'
import { generateEd25519KeyPair } from '@golem-vm/protocol/openssh-key'
import { cli, json, startDiscovery, startPortChecker, startProvider, tempDir, waitFor } from './helpers/network.js'

interface VmJson {
  vm: { status: string; ssh_port: number | null }
  rental: Rental | null
}
interface ErrorJson {
  error: { code: string; message: string; exit_code: number }
}

// Sends raw bytes with the given headers; resolves with the status.
function rawRequest(baseUrl: string, method: string, path: string, headers: Record<string, string>, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${baseUrl}${path}`,
      { method, headers: { ...headers, ...(body.length > 0 ? { 'content-length': String(body.length) } : {}) } },
      (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

test('a renter rents, uses and returns a VM through the whole network; another renter cannot touch it', { timeout: 600_000 }, async (t) => {
  const [discoveryUrl, portCheckerUrl] = await Promise.all([startDiscovery(t), startPortChecker(t)])
  const provider = await startProvider(t, discoveryUrl, portCheckerUrl)
  const alice = { dataDir: join(tempDir(t), 'alice'), discoveryUrl }
  const bob = { dataDir: join(tempDir(t), 'bob'), discoveryUrl }

  await t.test('providers lists the provider, verified, with its API address', async () => {
    const offer = await waitFor('the advertisement', async () => {
      const result = await cli(['providers', '--json'], alice)
      assert.equal(result.code, 0, result.stderr)
      return json<{ providers: ProviderOffer[] }>(result).providers.find((p) => p.provider_id === provider.providerId)
    })
    assert.equal(offer.verified, true)
    const status = (await (await fetch(`${provider.apiUrl}/api/v1/provider/status`)).json()) as { ports: { verification: string; usable: number } }
    assert.deepEqual([status.ports.verification, status.ports.usable], ['verified', 4], 'the port checker verified every SSH port')
    assert.equal(offer.provider_url, provider.apiUrl)
    assert.equal(offer.ip_address, '127.0.0.1')
    const human = await cli(['providers', '--cpu', '1', '--country', 'se'], alice)
    assert.equal(human.code, 0, human.stderr)
    assert.ok(human.stdout.includes(provider.providerId), human.stdout)
    const none = await cli(['providers', '--json', '--cpu', '64'], alice)
    assert.deepEqual(json<{ providers: unknown[] }>(none).providers, [])
  })

  await t.test('create makes the VM, records it, prints the ssh command, and shows progress as plain lines', async () => {
    const result = await cli(['create', 'web-1', '--provider-id', provider.providerId, '--size', 'small', '--json'], alice)
    assert.equal(result.code, 0, result.stderr)
    const { rental, ssh_command } = json<{ rental: Rental; ssh_command: string }>(result)
    assert.equal(rental.status, 'running')
    assert.equal(rental.ssh_host, '127.0.0.1')
    assert.ok(rental.ssh_port !== null && rental.ssh_port > 0)
    assert.match(
      ssh_command,
      new RegExp(
        `^ssh -i ${alice.dataDir}/ssh/id_ed25519 -p ${rental.ssh_port} .*UserKnownHostsFile=${alice.dataDir}/known_hosts/web-1 .*ubuntu@127\\.0\\.0\\.1$`,
      ),
    )
    assert.match(result.stderr, /creating "web-1" on http:\/\/127\.0\.0\.1:\d+…/)
    assert.equal(statSync(alice.dataDir).mode & 0o777, 0o700)
    assert.equal(statSync(join(alice.dataDir, 'ssh', 'id_ed25519')).mode & 0o777, 0o600)
    assert.equal(statSync(join(alice.dataDir, 'identity.json')).mode & 0o777, 0o600)
    // Names are the renter's own (issue 15 item 10): bob could make his own "web-1"; packages/provider's renter-scopes test shows it.
  })

  await t.test("ssh NAME -- hostname prints the VM's hostname, records its host key, and passes exit statuses through", async () => {
    const login = await cli(['ssh', 'web-1', '--', 'hostname'], alice)
    assert.equal(login.code, 0, login.stderr)
    assert.equal(login.stdout.trim(), 'web-1')
    const knownHosts = readFileSync(join(alice.dataDir, 'known_hosts', 'web-1'), 'utf8')
    assert.match(knownHosts, /^\[127\.0\.0\.1\]:\d+ ssh-ed25519 /m)
    const status = await cli(['ssh', 'web-1', '--', 'exit', '3'], alice)
    assert.equal(status.code, 3, status.stderr)
  })

  await t.test('a changed host key is refused by ssh and reported loudly', async () => {
    const file = join(alice.dataDir, 'known_hosts', 'web-1')
    const recorded = readFileSync(file, 'utf8')
    const host = recorded.split(' ')[0] ?? ''
    writeFileSync(file, `${host} ${generateEd25519KeyPair('x').publicKey}\n`)
    const refused = await cli(['ssh', 'web-1', '--', 'hostname'], alice)
    writeFileSync(file, recorded)
    assert.equal(refused.code, 255)
    assert.match(refused.stderr, /WARNING: THE HOST KEY OF VM "web-1" HAS CHANGED/)
    assert.equal(refused.stdout, '')
  })

  await t.test('stop and start: a stopped VM refuses ssh; started, it answers on the same port', async () => {
    const stopped = await cli(['stop', 'web-1', '--json'], alice)
    assert.equal(stopped.code, 0, stopped.stderr)
    assert.equal(json<VmJson>(stopped).vm.status, 'stopped')
    assert.equal(json<{ rentals: Rental[] }>(await cli(['list', '--json'], alice)).rentals[0]?.status, 'stopped')
    const refused = await cli(['ssh', 'web-1', '--', 'hostname'], alice)
    assert.notEqual(refused.code, 0)
    const started = await cli(['start', 'web-1', '--json'], alice)
    assert.equal(started.code, 0, started.stderr)
    assert.equal(json<VmJson>(started).vm.status, 'running')
    const login = await cli(['ssh', 'web-1', '--', 'hostname'], alice)
    assert.equal(login.stdout.trim(), 'web-1', login.stderr)
  })

  await t.test('another renter cannot see, read, stop, start or delete the VM', async () => {
    const listed = await cli(['list', '--provider-id', provider.providerId, '--json'], bob)
    assert.equal(listed.code, 0, listed.stderr)
    assert.deepEqual(json<{ vms: unknown[] }>(listed).vms, [])
    for (const command of ['info', 'stop', 'start', 'destroy']) {
      const result = await cli([command, 'web-1', '--provider-id', provider.providerId, '--json'], bob)
      assert.equal(result.code, 3, `${command}: ${result.stdout}${result.stderr}`)
      assert.equal(json<ErrorJson>(result).error.code, 'VM_NOT_FOUND', command)
    }
    const mine = await cli(['list', '--provider-id', provider.providerId, '--json'], alice)
    assert.deepEqual(
      json<{ vms: { name: string; status: string }[] }>(mine).vms.map((v) => [v.name, v.status]),
      [['web-1', 'running']],
    )
    const info = await cli(['info', 'web-1'], alice)
    assert.equal(info.code, 0, info.stderr)
    assert.match(info.stdout, /^status: +running$/m)
  })

  await t.test('the provider refuses a replayed or tampered request', async () => {
    const identity = JSON.parse(readFileSync(join(alice.dataDir, 'identity.json'), 'utf8')) as { private_key: string }
    const client = new ProviderClient({ baseUrl: provider.apiUrl, providerId: provider.providerId, signer: new Wallet(identity.private_key) })
    const path = '/api/v1/vms/web-1'
    const headers = await client.signedHeaders('GET', path, Buffer.alloc(0))
    assert.equal(await rawRequest(provider.apiUrl, 'GET', path, headers, Buffer.alloc(0)), 200)
    assert.equal(await rawRequest(provider.apiUrl, 'GET', path, headers, Buffer.alloc(0)), 401, 'replayed')
    const body = Buffer.from('{"name":"evil-1"}')
    const signed = await client.signedHeaders('POST', '/api/v1/vms', body)
    assert.equal(await rawRequest(provider.apiUrl, 'POST', '/api/v1/vms', signed, Buffer.from('{"name":"evil-2"}')), 401, 'tampered body')
    const other = await client.signedHeaders('DELETE', '/api/v1/vms/other', Buffer.alloc(0))
    assert.equal(await rawRequest(provider.apiUrl, 'DELETE', path, other, Buffer.alloc(0)), 401, 'path changed')
    assert.equal(await rawRequest(provider.apiUrl, 'DELETE', path, {}, Buffer.alloc(0)), 401, 'unsigned')
  })

  await t.test('destroy deletes the VM and forgets it; a second destroy finds nothing', async () => {
    const destroyed = await cli(['destroy', 'web-1', '--json'], alice)
    assert.equal(destroyed.code, 0, destroyed.stderr)
    assert.deepEqual(json<unknown>(destroyed), { name: 'web-1', provider_id: provider.providerId, status: 'deleted', payment: null })
    assert.deepEqual(json<{ rentals: unknown[] }>(await cli(['list', '--json'], alice)).rentals, [])
    assert.deepEqual(json<{ vms: unknown[] }>(await cli(['list', '--provider-id', provider.providerId, '--json'], alice)).vms, [])
    assert.throws(() => statSync(join(alice.dataDir, 'known_hosts', 'web-1')), { code: 'ENOENT' })
    const again = await cli(['destroy', 'web-1'], alice)
    assert.equal(again.code, 3)
    assert.match(again.stderr, /no VM called "web-1"/)
  })
})
