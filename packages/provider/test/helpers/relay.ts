/**
 * The SSH proxy's relay on the test's own thread, listening on a free port
 * of 127.0.0.1 for one VM whose SSH server is a `fakeVm`; with what it
 * reported, and waits on it that need no timers (so tests can mock them).
 *
 * @module
 */
import { EventEmitter, once } from 'node:events'
import type { TestContext } from 'node:test'
import { freePortRange } from '@golem-vm/common'
import type { Connect } from '../../src/infra/ssh-proxy/relay-connection.js'
import { Relay, type RelayConfig, type RelayStats } from '../../src/infra/ssh-proxy/relay.js'
import { fakeVm, type FakeVm } from './tcp.js'

export const VM_ID = 'vm-1'

/** Limits that stay out of the way: no SSH checks, no caps a test reaches by accident. */
export const LOOSE: RelayConfig = {
  host: '127.0.0.1',
  connectTimeoutMs: 5000,
  idleTimeoutMs: 0,
  handshakeTimeoutMs: 0,
  halfCloseTimeoutMs: 60_000,
  maxConnectionsPerVm: 100,
  maxConnectionsPerSource: 100,
  maxHandshakesPerSource: 100,
  udpMaxFlows: 100,
  udpIdleTimeoutMs: 60_000,
}

export interface RelayUnderTest {
  readonly relay: Relay
  readonly vm: FakeVm
  readonly port: number
  /** Every stats report, in order. */
  readonly stats: RelayStats[]
  /** Every log entry, in order. */
  readonly logs: { readonly msg: string; readonly fields: Record<string, unknown> }[]
  /** Resolves once the latest stats report satisfies `probe`: the one already made, or one to come. */
  readonly untilStats: (probe: (stats: RelayStats) => boolean) => Promise<RelayStats>
  /** The reasons the proxy gave for ending connections, so far. */
  readonly endReasons: () => string[]
}

export async function relayUnderTest(t: TestContext, config: Partial<RelayConfig> = {}, connect?: Connect): Promise<RelayUnderTest> {
  const vm = await fakeVm(t)
  const stats: RelayStats[] = []
  const logs: { msg: string; fields: Record<string, unknown> }[] = []
  const reported = new EventEmitter()
  const relay = new Relay(
    { ...LOOSE, ...config },
    {
      log: (_level, fields, msg) => logs.push({ msg, fields }),
      stats: (_vm, s) => {
        stats.push(s)
        reported.emit('stats', s)
      },
    },
    connect,
  )
  t.after(() => relay.closeAll())
  const { start: port } = await freePortRange(1)
  await relay.open(VM_ID, port, vm.endpoint)
  return {
    relay,
    vm,
    port,
    stats,
    logs,
    untilStats: async (probe) => {
      for (;;) {
        const latest = stats.at(-1)
        if (latest !== undefined && probe(latest)) return latest
        await once(reported, 'stats')
      }
    },
    endReasons: () => logs.filter((l) => l.msg === 'ssh connection ended by the proxy').map((l) => String(l.fields.reason)),
  }
}
