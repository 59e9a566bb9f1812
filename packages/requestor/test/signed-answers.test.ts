/**
 * Issue 15, item 11: a renter can trust the provider's answers. Real
 * processes: discovery, port checker, a provider daemon (fake `multipass`, a
 * real sshd per VM) and `golem-vm`. The renter rents a VM from the verified
 * provider; every answer carries the provider's signature and is checked.
 * Then a man in the middle (a real TCP proxy on the path to the provider)
 * rewrites an answer's field: `golem-vm` refuses it, says why, and records
 * nothing from it. An answer stripped of its signature is refused as well,
 * unless the renter chose to trust the provider (`--allow-unverified`), and
 * then used with a warning. The VM's SSH host key, issued by the provider
 * and named in its signed answer, is pinned before the first login: real
 * `ssh` logs in with it, and refuses a VM that presents another.
 */
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { generateEd25519KeyPair } from '@golem-vm/protocol/openssh-key'
import type { Rental } from '../src/domain/rental.js'
import { cli, json, startDiscovery, startPortChecker, startProvider, tempDir } from './helpers/network.js'
import { tamperingProxy } from './helpers/tampering-proxy.js'

interface ErrorJson {
  error: { code: string; message: string; exit_code: number }
}
interface VmJson {
  vm: { status: string }
  rental: Rental | null
}

test('answers are checked against the provider the renter chose; a man in the middle who changes one is refused', { timeout: 600_000 }, async (t) => {
  const discoveryUrl = await startDiscovery(t)
  const provider = await startProvider(t, discoveryUrl, await startPortChecker(t))
  const env = { dataDir: join(tempDir(t), 'renter'), discoveryUrl }
  const name = 'web-1'

  const created = await cli(['create', name, '--provider-id', provider.providerId, '--size', 'small', '--json'], env)
  assert.equal(created.code, 0, created.stderr)
  assert.doesNotMatch(created.stderr, /warning/, 'signed answers need no warning')
  const rental = json<{ rental: Rental }>(created).rental
  assert.equal(rental.accept_unsigned_answers, false)

  // The VM's host key came in the signed /access answer and is pinned before the first login: ssh accepts only it.
  const knownHosts = join(env.dataDir, 'known_hosts', name)
  const pinned = readFileSync(knownHosts, 'utf8')
  assert.equal(pinned, `[127.0.0.1]:${rental.ssh_port ?? 0} ${rental.ssh_host_keys?.[0] ?? 'none'}\n`)
  assert.match(json<{ ssh_command: string }>(created).ssh_command, /StrictHostKeyChecking=yes/)
  const login = await cli(['ssh', name, '--', 'hostname'], env)
  assert.equal(login.code, 0, login.stderr)
  assert.equal(login.stdout.trim(), name)
  assert.equal(readFileSync(knownHosts, 'utf8'), pinned, 'nothing else was recorded')
  writeFileSync(knownHosts, `[127.0.0.1]:${rental.ssh_port ?? 0} ${generateEd25519KeyPair('x').publicKey}\n`)
  const mismatched = await cli(['ssh', name, '--', 'hostname'], env)
  writeFileSync(knownHosts, pinned)
  assert.equal(mismatched.code, 255, 'the VM presents another key than the one pinned: refused')
  assert.match(mismatched.stderr, /WARNING: THE HOST KEY OF VM "web-1" HAS CHANGED/)
  assert.equal(mismatched.stdout, '')

  // The path to the provider now goes through the proxy (as a hijacked route would); the rental records where the API is.
  const api = new URL(provider.apiUrl)
  const proxy = await tamperingProxy(t, { host: api.hostname, port: Number(api.port) })
  const rentalsFile = join(env.dataDir, 'rentals.json')
  const rentals = readFileSync(rentalsFile, 'utf8')
  writeFileSync(rentalsFile, rentals.replaceAll(provider.apiUrl, proxy.url))
  assert.notEqual(readFileSync(rentalsFile, 'utf8'), rentals, 'the rental now points at the proxy')

  const relayed = await cli(['info', name, '--json'], env)
  assert.equal(relayed.code, 0, `an honest relay changes nothing: ${relayed.stdout}${relayed.stderr}`)
  assert.equal(json<VmJson>(relayed).vm.status, 'running')

  // A forged status, then a forged figure in the answer to a change (the stop itself reaches the provider).
  const refusedWith = async (args: string[], rule: { from: string; to: string }): Promise<string> => {
    proxy.rewrite(rule)
    const tampered = await cli([...args, '--json'], env)
    assert.equal(tampered.code, 6, `${args.join(' ')}: ${tampered.stdout}`)
    const { error } = json<ErrorJson>(tampered)
    assert.equal(error.code, 'ANSWER_UNVERIFIED')
    assert.match(error.message, /does not carry provider 0x[0-9a-fA-F]{40} at http:\/\/127\.0\.0\.1:\d+'s signature .*nothing in it was used/)
    return error.message
  }
  const forgedStatus = { from: '"status":"running"', to: '"status":"stopped"' }
  await refusedWith(['info', name], forgedStatus)
  const human = await cli(['info', name], env)
  assert.match(
    human.stderr,
    /^golem-vm: error: the answer to reading the VM does not carry provider .*Someone between you and the provider may be changing its answers/m,
  )
  assert.doesNotMatch(human.stdout, /stopped/, 'the forged status was never shown')
  assert.match(await refusedWith(['stop', name], { from: '"cpu":1,', to: '"cpu":8,' }), /may still have taken effect on the provider/)
  const listed = json<{ rentals: Rental[] }>(await cli(['list', '--json'], env)).rentals
  assert.deepEqual([listed[0]?.status, listed[0]?.resources.cpu], ['running', 1], 'nothing from the forged answers was recorded')

  // The signature header renamed (same length): the answer arrives unsigned.
  proxy.rewrite({ from: 'x-golem-answer-signature', to: 'x-golem-answer-signaturx' })
  const unsigned = await cli(['info', name, '--json'], env)
  assert.equal(unsigned.code, 6, unsigned.stdout)
  assert.match(json<ErrorJson>(unsigned).error.message, /answered reading the VM without a signature.*pass --allow-unverified only if you trust/)
  const trusted = await cli(['info', name, '--allow-unverified', '--json'], env)
  assert.equal(trusted.code, 0, trusted.stderr)
  assert.match(trusted.stderr, /^golem-vm: warning: provider .* does not sign its answers .*anyone on the network between you could change them$/m)

  proxy.rewrite(undefined)
  const destroyed = await cli(['destroy', name, '--json'], env)
  assert.equal(destroyed.code, 0, destroyed.stderr)
})
