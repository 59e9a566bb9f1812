import assert from 'node:assert/strict'
import { test } from 'node:test'
import { advertisement, fakeDeps, PROVIDER } from '../../test/helpers/fake-deps.js'
import type { CommandContext } from './context.js'
import { createCommand } from './create.js'
import { destroyCommand } from './destroy.js'
import { infoCommand } from './info.js'
import { listCommand } from './list.js'
import { portsAddCommand, portsCommand } from './ports.js'
import { providersCommand } from './providers.js'

function capture(deps: CommandContext['deps']) {
  const out: string[] = []
  const err: string[] = []
  const ctx: CommandContext = {
    deps,
    io: { stdout: { write: (s: string) => out.push(s) }, stderr: { isTTY: false, write: (s: string | Uint8Array) => err.push(String(s)) } },
  }
  return { ctx, stdout: () => out.join(''), stderr: () => err.join('') }
}

test('create prints the exact ssh command and golem-vm ssh; list and info show the rental; destroy confirms', async (t) => {
  const { deps, dataDir } = fakeDeps(t)
  const run = capture(deps)
  assert.equal(await createCommand(run.ctx, 'web-1', { providerId: PROVIDER, size: 'small' }), 0)
  assert.match(run.stdout(), /VM "web-1" is running on provider 0x[0-9a-fA-F]{40} \(test-provider\): 1 CPU, 1 GB memory, 10 GB storage/)
  assert.match(run.stdout(), /\n {2}golem-vm ssh web-1\n/)
  assert.ok(
    run
      .stdout()
      .includes(
        `ssh -i ${dataDir}/ssh/id_ed25519 -p 50800 -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=${dataDir}/known_hosts/web-1`,
      ),
    run.stdout(),
  )
  assert.match(run.stderr(), /looking up provider.*\n.*creating "web-1"/s)
  assert.match(run.stderr(), /a new SSH key was made.*never used/)
  const list = capture(deps)
  await listCommand(list.ctx, {})
  assert.match(list.stdout(), /^NAME +STATUS \(LAST SEEN\) +PROVIDER +CPU\/GB\/GB +SSH +CREATED\nweb-1 +running +0x/)
  const info = capture(deps)
  await infoCommand(info.ctx, 'web-1', {})
  assert.match(info.stdout(), /^ssh: +ubuntu@127\.0\.0\.1 port 50800 \(golem-vm ssh web-1\)$/m)
  const destroy = capture(deps)
  await destroyCommand(destroy.ctx, 'web-1', { json: true })
  assert.deepEqual(JSON.parse(destroy.stdout()), { name: 'web-1', provider_id: PROVIDER, status: 'deleted', payment: null })
})

test('providers shows verified offers and says how many were hidden and why', async (t) => {
  const { deps, fakes } = fakeDeps(t)
  fakes.ads = [advertisement(), advertisement({ provider_id: '0x00000000000000000000000000000000000000B2', signed: false })]
  const run = capture(deps)
  await providersCommand(run.ctx, {})
  assert.match(
    run.stdout(),
    /^PROVIDER ID +NAME +COUNTRY +CPU +MEMORY +STORAGE +PORTS +ISOLATED +PRICE\/HOUR +UNIT PRICES\/HOUR +API +VERIFIED +UPDATED\n0x.* free +- +127/,
  )
  assert.match(run.stdout(), /1 provider\(s\)/)
  assert.match(run.stderr(), /1 advertisement\(s\) hidden: not signed by their provider.*--include-unverified/)
  const all = capture(deps)
  await providersCommand(all.ctx, { includeUnverified: true, json: true })
  const body = JSON.parse(all.stdout()) as { providers: { verified: boolean }[]; hidden_unverified: number }
  assert.deepEqual(
    body.providers.map((p) => p.verified),
    [true, false],
  )
  assert.equal(body.hidden_unverified, 0)
  await assert.rejects(providersCommand(run.ctx, { cpu: '0', country: 'XX' }), { code: 'INVALID_ARGUMENT', message: /--cpu.*--country/ })
})

test('providers shows whether each provider isolates its VMs, as it signed; --isolated keeps only those that say so, also when the service does not filter', async (t) => {
  const { deps, fakes } = fakeDeps(t)
  fakes.ads = [
    advertisement({ isolated: true, provider_name: 'walled' }),
    advertisement({ isolated: false, provider_name: 'open' }),
    advertisement({ provider_name: 'silent' }),
  ]
  const run = capture(deps)
  await providersCommand(run.ctx, {})
  assert.match(run.stdout(), / ISOLATED /)
  assert.match(run.stdout(), /walled .* yes +free +- +127\.0\.0\.1:7777/)
  assert.match(run.stdout(), /open .* NO +free +- +127\.0\.0\.1:7777/)
  assert.match(run.stdout(), /silent .* - +free +- +127\.0\.0\.1:7777/)
  assert.match(run.stderr(), /ISOLATED NO or -: .*--isolated/)
  const only = capture(deps)
  await providersCommand(only.ctx, { isolated: true, json: true })
  const body = JSON.parse(only.stdout()) as { providers: { provider_name: string; isolated: boolean | null }[] }
  assert.deepEqual(
    body.providers.map((p) => [p.provider_name, p.isolated]),
    [['walled', true]],
  )
  const forged = capture(deps)
  const flipped = advertisement({ isolated: false, provider_name: 'flipped' })
  fakes.ads = [{ ...flipped, isolated: true }]
  await providersCommand(forged.ctx, { isolated: true })
  assert.match(forged.stdout(), /No provider matches/)
  assert.match(forged.stderr(), /its isolated \(true\) differs from what the provider signed \(false\)/, 'a service cannot flip the flag')
})

test('ports: create --port checks the advertised offer and prints ready-to-paste addresses; ports lists, adds and removes; info shows them', async (t) => {
  const { deps, fakes } = fakeDeps(t)
  fakes.ads = [advertisement({ resources: { cpu: 4, memory: 8, storage: 100, ports_per_vm: 2, udp: 1 } })]
  let asked: unknown
  const mapped = [
    { guest: 8080, protocol: 'tcp' as const, public_port: 50812, host: '203.0.113.7' },
    { guest: 27015, protocol: 'udp' as const, public_port: 50813, host: '203.0.113.7' },
  ]
  fakes.provider.create = async (body) => {
    asked = body.ports
    return { ...(await fakes.provider.get(body.name)), ports: mapped }
  }
  fakes.provider.get = async (id) => ({
    id,
    name: id,
    status: 'running',
    resources: null,
    ip_address: null,
    ssh_port: 50800,
    created_at: null,
    updated_at: null,
    error_message: null,
    image: '24.04',
    ports: mapped,
    payment: null,
  })
  const run = capture(deps)
  await assert.rejects(createCommand(run.ctx, 'web', { providerId: PROVIDER, size: 'small', port: ['80', '81', '82'] }), {
    code: 'CAPACITY_GONE',
    message: /can map 2 port\(s\) for a VM now, 3 asked for/,
  })
  await assert.rejects(createCommand(run.ctx, 'web', { providerId: PROVIDER, size: 'small', port: ['8080/sctp'] }), { code: 'INVALID_ARGUMENT' })
  assert.equal(await createCommand(run.ctx, 'web', { providerId: PROVIDER, size: 'small', port: ['8080', '27015/udp'] }), 0)
  assert.deepEqual(asked, [
    { guest: 8080, protocol: 'tcp' },
    { guest: 27015, protocol: 'udp' },
  ])
  assert.match(run.stdout(), /Mapped ports:\n {2}203\.0\.113\.7:50812 → 8080\/tcp\n {2}203\.0\.113\.7:50813 → 27015\/udp\n/)
  const list = capture(deps)
  await portsCommand(list.ctx, 'web', {})
  assert.match(list.stdout(), /^ADDRESS +GUEST +PROTOCOL +PUBLIC PORT\n203\.0\.113\.7:50812 → 8080\/tcp +8080 +tcp +50812\n/)
  const json = capture(deps)
  await portsCommand(json.ctx, 'web', { json: true })
  assert.deepEqual(JSON.parse(json.stdout()), { name: 'web', ssh_port: 50800, ports: mapped })
  const info = capture(deps)
  await infoCommand(info.ctx, 'web', {})
  assert.match(info.stdout(), /^ports: +203\.0\.113\.7:50812 → 8080\/tcp\n {11}203\.0\.113\.7:50813 → 27015\/udp$/m)
  const add = capture(deps)
  await portsAddCommand(add.ctx, 'web', ['9000'], { json: true })
  assert.deepEqual(
    (JSON.parse(add.stdout()) as { ports: { guest: number }[] }).ports.map((p) => p.guest),
    [9000],
  )
  await assert.rejects(portsAddCommand(add.ctx, 'web', ['22x'], {}), { code: 'INVALID_ARGUMENT' })
  const offers = capture(deps)
  await providersCommand(offers.ctx, {})
  assert.match(offers.stdout(), /100 GB +2 tcp\/udp +- +free +- +127\.0\.0\.1:7777/)
})
