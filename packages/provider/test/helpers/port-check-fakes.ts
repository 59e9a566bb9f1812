/**
 * In-memory stand-ins for the port verification adapters: a binder that
 * remembers what it holds, port-check servers scripted per URL, a fixed
 * public address and clock. For unit tests of the use case and the verifier.
 *
 * @module
 */
import pino from 'pino'
import type { PortVerificationDeps, PortVerificationSettings } from '../../src/app/port-verification.js'
import type { HeldPorts, PortCheckResult } from '../../src/app/ports/port-check.js'

/** How a scripted server answers one request: `reach(port)` decides each port. */
export type ServerScript = { readonly kind: 'answer'; readonly reach: (port: number) => boolean } | { readonly kind: 'fail'; readonly reason: string }

export interface FakeWorld extends WorldState {
  readonly deps: PortVerificationDeps
}

interface WorldState {
  /** Ports currently held by the fake binder. */
  readonly holding: Set<number>
  /** Ports "another process" holds: binding them fails. */
  readonly taken: Set<number>
  /** Ports this provider's own listeners hold. */
  readonly own: Set<number>
  readonly servers: Map<string, ServerScript>
  /** Every request the servers got: url, address, ports, and the ports held at that moment. */
  readonly requests: { url: string; ip: string; ports: number[]; heldDuring: number[] }[]
  readonly bindCalls: number[][]
  api: { listening: boolean }
  ip: { value: string | Error }
  /** Runs inside every check request before it answers (tests inspect state there). */
  duringCheck: () => void | Promise<void>
}

export const SETTINGS: PortVerificationSettings = {
  mode: 'verified',
  host: '127.0.0.1',
  apiPort: 7466,
  range: { start: 50800, end: 50803 },
  servers: ['http://checker-a:9000'],
}

const answer = (ports: readonly number[], reach: (port: number) => boolean): PortCheckResult => {
  const results = Object.fromEntries(
    ports.map((p) => [String(p), reach(p) ? { accessible: true, error: null } : { accessible: false, error: 'Connection timed out' }]),
  )
  const ok = ports.filter(reach).length
  return {
    ok: true,
    response: { success: ok > 0, all_accessible: ok === ports.length, results, message: `Successfully verified ${ok} out of ${ports.length} ports` },
  }
}

function fakeHold(world: WorldState, ports: readonly number[]): HeldPorts {
  world.bindCalls.push([...ports])
  const bound = ports.filter((p) => !world.taken.has(p) && !world.holding.has(p))
  for (const p of bound) world.holding.add(p)
  const failed = ports.filter((p) => !bound.includes(p)).map((port) => ({ port, code: 'EADDRINUSE', reason: 'in use by another process' }))
  return {
    bound,
    failed,
    release: () => {
      for (const p of bound) world.holding.delete(p)
      return Promise.resolve()
    },
  }
}

/** A world where every server reaches every port unless a test changes it. */
export function fakeWorld(servers: readonly string[] = SETTINGS.servers): FakeWorld {
  const world: WorldState = {
    holding: new Set(),
    taken: new Set(),
    own: new Set(),
    requests: [],
    bindCalls: [],
    servers: new Map(servers.map((url) => [url, { kind: 'answer', reach: () => true }])),
    api: { listening: false },
    ip: { value: '203.0.113.7' },
    duringCheck: () => undefined,
  }
  const deps: PortVerificationDeps = {
    hold: (_host, ports) => Promise.resolve(fakeHold(world, ports)),
    check: async (url, ip, ports) => {
      world.requests.push({ url, ip, ports: [...ports], heldDuring: [...world.holding].sort((a, b) => a - b) })
      await world.duringCheck()
      const script = world.servers.get(url)
      if (script === undefined) return { ok: false, kind: 'unreachable', reason: 'cannot connect (ENOTFOUND)' }
      return script.kind === 'fail' ? { ok: false, kind: 'unreachable', reason: script.reason } : answer(ports, script.reach)
    },
    publicIp: () => (world.ip.value instanceof Error ? Promise.reject(world.ip.value) : Promise.resolve(world.ip.value)),
    ownPorts: () => world.own,
    apiListener: () => (world.api.listening ? SETTINGS.apiPort : null),
    clock: () => new Date('2026-01-02T03:04:05.000Z'),
    logger: pino({ level: 'silent' }),
  }
  return Object.assign(world, { deps })
}
