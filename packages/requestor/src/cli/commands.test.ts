import assert from 'node:assert/strict'
import { test } from 'node:test'
import { advertisement, fakeDeps, PROVIDER } from '../../test/helpers/fake-deps.js'
import type { CommandContext } from './context.js'
import { createCommand } from './create.js'
import { destroyCommand } from './destroy.js'
import { infoCommand } from './info.js'
import { listCommand } from './list.js'
import { providersCommand } from './providers.js'

function capture(deps: CommandContext['deps']) {
  const out: string[] = []
  const err: string[] = []
  const ctx: CommandContext = { deps, io: { stdout: { write: (s: string) => out.push(s) }, stderr: { isTTY: false, write: (s: string | Uint8Array) => err.push(String(s)) } } }
  return { ctx, stdout: () => out.join(''), stderr: () => err.join('') }
}

test('create prints the exact ssh command and golem-vm ssh; list and info show the rental; destroy confirms', async (t) => {
  const { deps, dataDir } = fakeDeps(t)
  const run = capture(deps)
  assert.equal(await createCommand(run.ctx, 'web-1', { providerId: PROVIDER, size: 'small' }), 0)
  assert.match(run.stdout(), /VM "web-1" is running on provider 0x[0-9a-fA-F]{40} \(test-provider\): 1 CPU, 1 GB memory, 10 GB storage/)
  assert.match(run.stdout(), /\n {2}golem-vm ssh web-1\n/)
  assert.ok(run.stdout().includes(`ssh -i ${dataDir}/ssh/id_ed25519 -p 50800 -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=${dataDir}/known_hosts/web-1`), run.stdout())
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
  assert.deepEqual(JSON.parse(destroy.stdout()), { name: 'web-1', provider_id: PROVIDER, status: 'deleted' })
})

test('providers shows verified offers and says how many were hidden and why', async (t) => {
  const { deps, fakes } = fakeDeps(t)
  fakes.ads = [advertisement(), advertisement({ provider_id: '0x00000000000000000000000000000000000000B2', signed: false })]
  const run = capture(deps)
  await providersCommand(run.ctx, {})
  assert.match(run.stdout(), /^PROVIDER ID +NAME +COUNTRY +CPU +MEMORY +STORAGE +API +VERIFIED +UPDATED\n0x/)
  assert.match(run.stdout(), /1 provider\(s\)/)
  assert.match(run.stderr(), /1 advertisement\(s\) hidden: not signed by their provider.*--include-unverified/)
  const all = capture(deps)
  await providersCommand(all.ctx, { includeUnverified: true, json: true })
  const body = JSON.parse(all.stdout()) as { providers: { verified: boolean }[]; hidden_unverified: number }
  assert.deepEqual(body.providers.map((p) => p.verified), [true, false])
  assert.equal(body.hidden_unverified, 0)
  await assert.rejects(providersCommand(run.ctx, { cpu: '0', country: 'XX' }), { code: 'INVALID_ARGUMENT', message: /--cpu.*--country/ })
})
