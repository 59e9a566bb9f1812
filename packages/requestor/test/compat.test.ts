/**
 * The renter's whole command set, as real `golem-vm` processes, against a
 * provider that answers byte for byte like the original 0.1.21 (found
 * through an original discovery service) and against this project's
 * provider daemon (found through this project's discovery service): create,
 * list, list --provider-id, info, ssh, stop, start, destroy. On the original
 * every command does what it can and exits 0 when the action succeeded;
 * stop and start say that the provider does not support them and that the
 * VM is untouched (exit 8), and the VM is indeed untouched.
 */
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import type { Rental } from '../src/domain/rental.js'
import { cli, json, startDiscovery, startPortChecker, startProvider, tempDir, waitFor, type CliEnv } from './helpers/network.js'
import { startOriginalDiscovery, startOriginalProvider } from './helpers/original-provider.js'

interface ErrorJson {
  error: { code: string; message: string; exit_code: number }
}
interface VmJson {
  vm: { name: string; status: string; image: string | null }
  rental: Rental | null
}

/** How the provider under test differs. */
interface Flavour {
  readonly original: boolean
  /** Flags every command that looks the provider up needs. */
  readonly lookup: readonly string[]
}

// The scenario both providers go through.
async function renterScenario(t: TestContext, env: CliEnv, providerId: string, flavour: Flavour): Promise<void> {
  const name = 'web-1'
  await t.test('create records the VM as running, exit 0', async () => {
    const result = await cli(['create', name, '--provider-id', providerId, '--size', 'small', ...flavour.lookup, '--json'], env)
    assert.equal(result.code, 0, `${result.stdout}${result.stderr}`)
    const { rental } = json<{ rental: Rental }>(result)
    assert.deepEqual(
      [rental.status, rental.vm_id, rental.image, rental.ssh_user, rental.resources],
      ['running', name, '24.04', 'ubuntu', { cpu: 1, memory: 1, storage: 10 }],
    )
    assert.ok(rental.ssh_port !== null && rental.ssh_port > 0)
  })

  await t.test('list shows it locally; list --provider-id asks the provider', async () => {
    assert.deepEqual(
      json<{ rentals: Rental[] }>(await cli(['list', '--json'], env)).rentals.map((r) => [r.name, r.status]),
      [[name, 'running']],
    )
    const remote = await cli(['list', '--provider-id', providerId, ...flavour.lookup], env)
    assert.equal(remote.code, 0, remote.stderr)
    assert.match(remote.stdout, new RegExp(`^${name} +running `, 'm'))
    assert.equal(/every renter's VMs/.test(remote.stderr), flavour.original, remote.stderr)
  })

  await t.test('info shows the VM, exit 0', async () => {
    const result = await cli(['info', name, '--json'], env)
    assert.equal(result.code, 0, result.stderr)
    const view = json<VmJson>(result)
    assert.deepEqual([view.vm.name, view.vm.status, view.vm.image === null], [name, 'running', flavour.original])
    const human = await cli(['info', name], env)
    assert.match(human.stdout, /^resources: +1 CPU, 1 GB memory, 10 GB storage$/m)
    assert.match(human.stdout, /^image: +24\.04$/m)
  })

  await t.test('ssh logs in with a real ssh and passes exit statuses through', async () => {
    const login = await cli(['ssh', name, '--', 'hostname'], env)
    assert.equal(login.code, 0, login.stderr)
    assert.equal(login.stdout.trim(), name)
    assert.equal((await cli(['ssh', name, '--', 'exit', '3'], env)).code, 3)
  })

  await t.test(flavour.original ? 'stop and start are not supported: said plainly, exit 8, the VM untouched' : 'stop and start work, exit 0', async () => {
    for (const [command, doing] of [
      ['stop', 'stopping'],
      ['start', 'starting'],
    ] as const) {
      const result = await cli([command, name, '--json'], env)
      if (!flavour.original) {
        assert.equal(result.code, 0, result.stderr)
        continue
      }
      assert.equal(result.code, 8, result.stdout)
      const { error } = json<ErrorJson>(result)
      assert.equal(error.code, 'NOT_SUPPORTED')
      assert.match(error.message, new RegExp(`does not support ${doing} VMs; the VM "${name}" is untouched$`))
      const human = await cli([command, name], env)
      assert.match(
        human.stderr,
        new RegExp(`^golem-vm: error: the provider at http://[\\d.]+:7466 does not support ${doing} VMs; the VM "${name}" is untouched$`, 'm'),
      )
    }
    assert.equal((await cli(['ssh', name, '--', 'hostname'], env)).stdout.trim(), name, 'still running')
    assert.equal(json<{ rentals: Rental[] }>(await cli(['list', '--json'], env)).rentals[0]?.status, 'running')
  })

  await t.test('destroy deletes the VM and removes its record, exit 0', async () => {
    const result = await cli(['destroy', name, '--json'], env)
    assert.equal(result.code, 0, result.stderr)
    assert.deepEqual(json<unknown>(result), { name, provider_id: providerId, status: 'deleted', payment: null })
    assert.deepEqual(json<{ rentals: unknown[] }>(await cli(['list', '--json'], env)).rentals, [])
    assert.equal(existsSync(join(env.dataDir, 'known_hosts', name)), false)
    const gone = await cli(['info', name, '--provider-id', providerId, ...flavour.lookup, '--json'], env)
    assert.equal(gone.code, 3, gone.stdout)
    assert.equal(json<ErrorJson>(gone).error.code, 'VM_NOT_FOUND')
  })
}

test('every command against a provider that answers like the original 0.1.21', { timeout: 600_000 }, async (t) => {
  const provider = await startOriginalProvider(t, join(tempDir(t), 'multipass'))
  const discoveryUrl = await startOriginalDiscovery(t, () => [{ provider_id: provider.providerId, ip_address: provider.ip }])
  const env = { dataDir: join(tempDir(t), 'renter'), discoveryUrl }

  await t.test('an original discovery service cannot vouch for the provider: every lookup asks for --allow-unverified', async () => {
    const lookups = [['create', 'web-1', '--size', 'small'], ['list'], ['info', 'web-1'], ['start', 'web-1'], ['stop', 'web-1'], ['destroy', 'web-1']]
    for (const args of lookups) {
      const result = await cli([...args, '--provider-id', provider.providerId, '--json'], env)
      assert.equal(result.code, 6, `${args[0] ?? ''}: ${result.stdout}`)
      const { error } = json<ErrorJson>(result)
      assert.equal(error.code, 'PROVIDER_UNVERIFIED')
      assert.match(
        error.message,
        /carries no signature of the provider \(.*served by a discovery service that does not keep signatures\).*pass --allow-unverified/,
      )
      const help = await cli([args[0] ?? '', '--help'], env)
      assert.match(help.stdout, /--allow-unverified/, `${args[0] ?? ''} has the flag it is told to use`)
    }
    assert.deepEqual(provider.requests, [], 'nothing reached the provider')
  })

  await renterScenario(t, env, provider.providerId, { original: true, lookup: ['--allow-unverified'] })

  await t.test('the provider saw only its five routes (and the missing start and stop), every request signed', () => {
    const routes = new Set(provider.requests.map((r) => `${r.method} ${r.url.replace(/web-1/, 'NAME')}`))
    assert.deepEqual([...routes].sort(), [
      'DELETE /api/v1/vms/NAME',
      'GET /api/v1/vms',
      'GET /api/v1/vms/NAME',
      'GET /api/v1/vms/NAME/access',
      'POST /api/v1/vms',
      'POST /api/v1/vms/NAME/start',
      'POST /api/v1/vms/NAME/stop',
    ])
    assert.ok(provider.requests.every((r) => r.signed))
  })
})

test("every command against this project's provider", { timeout: 600_000 }, async (t) => {
  const [discoveryUrl, portCheckerUrl] = await Promise.all([startDiscovery(t), startPortChecker(t)])
  const provider = await startProvider(t, discoveryUrl, portCheckerUrl)
  const env = { dataDir: join(tempDir(t), 'renter'), discoveryUrl }
  await waitFor('the advertisement', async () => {
    const result = await cli(['providers', '--json'], env)
    return json<{ providers: { provider_id: string }[] }>(result).providers.find((p) => p.provider_id === provider.providerId)
  })
  await renterScenario(t, env, provider.providerId, { original: false, lookup: [] })
})
