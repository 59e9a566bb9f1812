import assert from 'node:assert/strict'
import { test } from 'node:test'
import { pino } from 'pino'
import { composeVmNetworking, VmIsolationError } from './compose-network.js'
import { loadConfig, type Config } from './config.js'
import type { VmDriver } from './drivers/driver.js'
import { FakeDriver } from './drivers/fake/fake-driver.js'
import { isolationProblems } from './infra/network/isolation-check.js'
import { SqliteVmStore } from './infra/store/sqlite-vm-store.js'

function config(env: Record<string, string> = {}): Config {
  const result = loadConfig({ env: { HOME: '/tmp', GOLEM_PROVIDER_DATA_DIR: '/tmp/golem-compose-network-test', ...env } })
  if (!result.ok) throw new Error(result.problems.join('; '))
  return result.config
}

function captured(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = []
  const log = pino(
    { level: 'warn' },
    {
      write: (line: string) => {
        lines.push(JSON.parse(line) as Record<string, unknown>)
      },
    },
  )
  return { log, lines }
}

// A QEMU backend as far as the choice of network goes (it is never called).
const qemu = Object.assign(new FakeDriver(), { name: 'qemu' }) as unknown as VmDriver
const notRoot = () => Promise.resolve(['the provider does not run as root'])

test('a production QEMU provider that cannot isolate VMs refuses to start, saying what is missing and how to accept the risk', async (t) => {
  const store = new SqliteVmStore(':memory:')
  t.after(() => store.close())
  await assert.rejects(
    composeVmNetworking(config(), qemu, store, captured().log, notRoot),
    (e: unknown) =>
      e instanceof VmIsolationError &&
      e.code === 'VM_ISOLATION_UNAVAILABLE' &&
      /does not run as root/.test(e.message) &&
      /GOLEM_PROVIDER_ALLOW_UNISOLATED_VMS=true/.test(e.message),
  )
})

test('with ALLOW_UNISOLATED_VMS, or in development, it runs unisolated (user-space proxy) and warns', async (t) => {
  const store = new SqliteVmStore(':memory:')
  t.after(() => store.close())
  const settings: Record<string, string>[] = [{ GOLEM_PROVIDER_ALLOW_UNISOLATED_VMS: 'true' }, { GOLEM_PROVIDER_ENVIRONMENT: 'development' }]
  for (const env of settings) {
    const { log, lines } = captured()
    const networking = await composeVmNetworking(config(env), qemu, store, log, notRoot)
    assert.equal(networking.isolated, false)
    await networking.forwarder.closeAll()
    assert.ok(
      lines.some((l) => String(l.msg).startsWith('VMS ARE NOT ISOLATED')),
      JSON.stringify(lines),
    )
  }
})

test('the Multipass backend is isolated on its own bridge when the host allows it; otherwise a loud warning, no refusal', async (t) => {
  const store = new SqliteVmStore(':memory:')
  t.after(() => store.close())
  const multipass = Object.assign(new FakeDriver(), { name: 'multipass' }) as unknown as VmDriver
  const asked: { tun: boolean }[] = []
  const able = (needs: { tun: boolean }) => {
    asked.push(needs)
    return Promise.resolve([])
  }
  const isolated = await composeVmNetworking(config(), multipass, store, captured().log, able, () => 'mpqemubr0')
  assert.equal(isolated.isolated, true, 'root, nftables and the bridge: filtered and forwarded by the kernel')
  assert.deepEqual(asked, [{ tun: false }], 'Multipass makes its own TAPs: /dev/net/tun is not asked for')
  await isolated.forwarder.closeAll()

  const noBridge = captured()
  const without = await composeVmNetworking(config({ GOLEM_PROVIDER_ENVIRONMENT: 'production' }), multipass, store, noBridge.log, able, () => undefined)
  assert.equal(without.isolated, false, 'no refusal, even in production')
  await without.forwarder.closeAll()
  assert.ok(noBridge.lines.some((l) => String(l.msg).startsWith('VMS ARE NOT ISOLATED') && /mpqemubr0 or mpbr0.*start Multipass/.test(String(l.why))))

  const { log, lines } = captured()
  const notAllowed = await composeVmNetworking(config(), multipass, store, log, notRoot, () => 'mpqemubr0')
  assert.equal(notAllowed.isolated, false)
  await notAllowed.forwarder.closeAll()
  assert.ok(lines.some((l) => String(l.msg).startsWith('VMS ARE NOT ISOLATED') && /root/.test(String(l.why))))
})

test('isolation needs root: a non-root provider is told so, with the fix', async () => {
  const problems = await isolationProblems(1000)
  assert.equal(problems.length, 1)
  assert.match(problems[0] ?? '', /not run as root/)
})
