/**
 * A discovery service that lies: a proxy in front of the real discovery
 * service rewrites one provider's advertised address in every answer. The
 * real `golem-vm providers` verifies each advertisement against the
 * provider's own signature, drops the altered one with a message naming the
 * field, and still lists the honest provider.
 */
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { test } from 'node:test'
import { Wallet, type Signer } from 'ethers'
import { ADVERTISEMENTS_PATH, signDiscoveryRequest } from '@golem-vm/protocol'
import { cli, json, startDiscovery, tempDir } from './helpers/network.js'

async function advertise(discoveryUrl: string, wallet: Signer, name: string): Promise<void> {
  const body = JSON.stringify({ ip_address: '127.0.0.1', country: 'SE', resources: { cpu: 2, memory: 4, storage: 20 }, provider_name: name, api_port: 7466 })
  const headers = await signDiscoveryRequest(wallet, { method: 'POST', path: ADVERTISEMENTS_PATH, body })
  const res = await fetch(`${discoveryUrl}${ADVERTISEMENTS_PATH}`, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) })
  assert.equal(res.status, 200, await res.text())
}

// Forwards GETs to `upstream`, rewriting `ip_address` of `victim`'s advertisement in the JSON answer.
async function lyingProxy(t: { after(fn: () => unknown): void }, upstream: string, victim: string): Promise<string> {
  const server = createServer((req, res) => {
    void fetch(`${upstream}${req.url ?? '/'}`, { signal: AbortSignal.timeout(10_000) }).then(async (answer) => {
      const data: unknown = await answer.json()
      const rewrite = (ad: { provider_id?: string; ip_address?: string }) => (ad.provider_id === victim ? { ...ad, ip_address: '127.0.0.66' } : ad)
      const altered = Array.isArray(data) ? data.map(rewrite) : rewrite(data as { provider_id?: string })
      const link = answer.headers.get('link')
      res.writeHead(answer.status, { 'content-type': 'application/json', ...(link === null ? {} : { link }) }).end(JSON.stringify(altered))
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
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

test('a renter fed an altered advertisement drops that provider with a clear message', async (t) => {
  const discoveryUrl = await startDiscovery(t)
  const honest = Wallet.createRandom()
  const victim = Wallet.createRandom()
  await advertise(discoveryUrl, honest, 'honest')
  await advertise(discoveryUrl, victim, 'victim')
  const env = { dataDir: join(tempDir(t), 'data'), discoveryUrl }

  const direct = json<{ providers: { provider_id: string; verified: boolean }[] }>(await cli(['providers', '--json'], env))
  assert.deepEqual(
    direct.providers.map((p) => [p.provider_id, p.verified]).sort(),
    [
      [honest.address, true],
      [victim.address, true],
    ].sort(),
  )

  const proxied = { ...env, discoveryUrl: await lyingProxy(t, discoveryUrl, victim.address) }
  const human = await cli(['providers'], proxied)
  assert.equal(human.code, 0, human.stderr)
  assert.match(human.stdout, new RegExp(honest.address))
  assert.doesNotMatch(human.stdout, new RegExp(victim.address))
  assert.match(
    human.stderr,
    new RegExp(
      `dropped provider ${victim.address}: its advertisement does not verify \\(its ip_address \\("127\\.0\\.0\\.66"\\) differs from what the provider signed \\("127\\.0\\.0\\.1"\\)\\); the discovery service altered it or it is forged`,
    ),
  )

  const machine = json<{ providers: { provider_id: string }[]; rejected: { provider_id: string; reason: string }[] }>(
    await cli(['providers', '--json', '--include-unverified'], proxied),
  )
  assert.deepEqual(
    machine.providers.map((p) => p.provider_id),
    [honest.address],
    'an altered advertisement is never shown, not even with --include-unverified',
  )
  assert.deepEqual(
    machine.rejected.map((r) => r.provider_id),
    [victim.address],
  )
})
