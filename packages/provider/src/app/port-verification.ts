/**
 * Port verification, one run: hold the provider port and every SSH port of
 * the range on this host, ask every port-check server at once to connect to
 * them from outside, and report which ports renters can reach. Adapters (the
 * client, the binder, the public address, the clock) are injected.
 *
 * @module
 */
import { DEFAULT_MAX_PORTS_PER_REQUEST, type PortVerificationMode, type PortVerificationReport } from '@golem-vm/protocol'
import type { Logger } from 'pino'
import type { HeldPorts, HoldPortsFn, PortCheckFn } from './ports/port-check.js'
import { buildReport, type LocalVerdict, type PortAnswer, type ServerAnswer } from './port-verification-report.js'

/** What to verify and how. */
export interface PortVerificationSettings {
  readonly mode: PortVerificationMode
  /** The address the provider binds (`HOST`); temporary listeners bind it too. */
  readonly host: string
  /** The configured API port; 0 (tests) leaves it unchecked until the API server listens. */
  readonly apiPort: number
  /** The SSH port range, both ends included. */
  readonly range: { readonly start: number; readonly end: number }
  /** Base URLs of the port-check servers; all are asked at once. */
  readonly servers: readonly string[]
  /** Most ports in one request (default {@link DEFAULT_MAX_PORTS_PER_REQUEST}); more are sent in sequential batches. */
  readonly batchSize?: number
}

/** The adapters a run uses. */
export interface PortVerificationDeps {
  readonly check: PortCheckFn
  readonly hold: HoldPortsFn
  /** The address the servers should check; rejects with a readable message when unknown. */
  readonly publicIp: (signal: AbortSignal) => Promise<string>
  /** Ports this provider's own listeners hold or its VMs have reserved: never re-bound, counted as held. */
  readonly ownPorts: () => ReadonlySet<number>
  /** The port the provider's API server listens on now (held, never re-bound), or null before it listens. */
  readonly apiListener: () => number | null
  readonly clock: () => Date
  readonly logger: Logger
}

/** One step of a run, for a live display. */
export type VerificationProgress =
  | { readonly phase: 'bind'; readonly status: 'running'; readonly ports: number }
  | { readonly phase: 'bind'; readonly status: 'done'; readonly held: number; readonly failed: number }
  | { readonly phase: 'public-ip'; readonly status: 'running' }
  | { readonly phase: 'public-ip'; readonly status: 'done'; readonly ip: string }
  | { readonly phase: 'public-ip'; readonly status: 'failed'; readonly error: string }
  | { readonly phase: 'server'; readonly url: string; readonly status: 'running'; readonly ports: number }
  | { readonly phase: 'server'; readonly url: string; readonly status: 'done'; readonly reached: number; readonly ports: number }
  | { readonly phase: 'server'; readonly url: string; readonly status: 'failed'; readonly error: string }

export interface VerifyOptions {
  readonly signal?: AbortSignal
  /** The last report: its external verdicts are kept when no server answers this time. */
  readonly previous?: PortVerificationReport
  readonly onProgress?: (event: VerificationProgress) => void
  /** Called synchronously, before the first await, with the ports about to be bound temporarily. */
  readonly onHold?: (ports: readonly number[]) => void
}

interface External {
  readonly publicIp: string | null
  readonly publicIpError: string | null
  readonly servers: readonly ServerAnswer[]
}

const NOT_ASKED: External = { publicIp: null, publicIpError: null, servers: [] }

const rangePorts = (start: number, end: number): number[] => Array.from({ length: Math.max(0, end - start + 1) }, (_, i) => start + i)

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error))

// Verdicts for every port: our own listeners, the temporary ones, and those another process holds.
function localVerdicts(ports: readonly number[], own: ReadonlySet<number>, held: HeldPorts, ownNow: () => ReadonlySet<number>): Map<number, LocalVerdict> {
  const verdicts = new Map<number, LocalVerdict>(ports.map((p) => [p, { internal: true, reason: null }]))
  if (held.failed.length === 0) return verdicts
  // A VM may have taken a port between the look-up and the bind: that is ours, not another process's.
  const latest = ownNow()
  for (const f of held.failed) {
    if (!own.has(f.port) && !latest.has(f.port)) verdicts.set(f.port, { internal: false, reason: f.reason })
  }
  return verdicts
}

function batches(ports: readonly number[], size: number): number[][] {
  const out: number[][] = []
  for (let i = 0; i < ports.length; i += size) out.push(ports.slice(i, i + size))
  return out
}

// Asks one server about every port, batch after batch; the first failed batch ends it.
async function askServer(
  url: string,
  ip: string,
  ports: readonly number[],
  size: number,
  d: PortVerificationDeps,
  o: VerifyOptions,
  signal: AbortSignal,
): Promise<ServerAnswer> {
  o.onProgress?.({ phase: 'server', url, status: 'running', ports: ports.length })
  const results = new Map<number, PortAnswer>()
  for (const batch of batches(ports, size)) {
    const answer = await d.check(url, ip, batch, signal)
    if (!answer.ok) {
      d.logger.debug({ server: url, error: answer.reason }, 'port-check server failed')
      o.onProgress?.({ phase: 'server', url, status: 'failed', error: answer.reason })
      return { url, ok: false, error: answer.reason, results: new Map() }
    }
    for (const port of batch) {
      const r = answer.response.results[String(port)]
      if (r !== undefined) results.set(port, { accessible: r.accessible, error: r.error })
    }
  }
  const reached = [...results.values()].filter((r) => r.accessible).length
  d.logger.debug({ server: url, reached, ports: ports.length }, 'port-check server answered')
  o.onProgress?.({ phase: 'server', url, status: 'done', reached, ports: ports.length })
  return { url, ok: true, error: null, results }
}

async function checkFromOutside(
  s: PortVerificationSettings,
  d: PortVerificationDeps,
  o: VerifyOptions,
  ports: readonly number[],
  signal: AbortSignal,
): Promise<External> {
  o.onProgress?.({ phase: 'public-ip', status: 'running' })
  let ip: string
  try {
    ip = await d.publicIp(signal)
  } catch (error) {
    o.onProgress?.({ phase: 'public-ip', status: 'failed', error: message(error) })
    const servers = s.servers.map((url) => ({ url, ok: false, error: 'not asked: the public address is unknown', results: new Map<number, PortAnswer>() }))
    return { publicIp: null, publicIpError: message(error), servers }
  }
  o.onProgress?.({ phase: 'public-ip', status: 'done', ip })
  const size = s.batchSize ?? DEFAULT_MAX_PORTS_PER_REQUEST
  const servers = await Promise.all(s.servers.map((url) => askServer(url, ip, ports, size, d, o, signal)))
  return { publicIp: ip, publicIpError: null, servers }
}

/**
 * Runs one verification and resolves with its report; never rejects for a
 * closed port, a failed server or an unknown address (the report says so:
 * `ready` is false when the provider cannot serve renters). Temporary
 * listeners are closed before it resolves. In `skipped`/`development` mode
 * nothing leaves the host: every port this provider can hold is usable.
 */
export async function verifyPorts(s: PortVerificationSettings, d: PortVerificationDeps, o: VerifyOptions = {}): Promise<PortVerificationReport> {
  const signal = o.signal ?? new AbortController().signal
  const sshPorts = rangePorts(s.range.start, s.range.end)
  const own = new Set(d.ownPorts())
  const listening = d.apiListener()
  const apiPort = listening ?? s.apiPort
  if (listening !== null) own.add(listening)
  // Port 0 is only known once the API server listens: nothing to bind or check before.
  const ports = apiPort > 0 ? [apiPort, ...sshPorts] : sshPorts
  const toHold = ports.filter((p) => !own.has(p))
  o.onHold?.(toHold)
  o.onProgress?.({ phase: 'bind', status: 'running', ports: toHold.length })
  const held = await d.hold(s.host, toHold)
  try {
    const local = localVerdicts(ports, own, held, d.ownPorts)
    o.onProgress?.({ phase: 'bind', status: 'done', held: ports.length - held.failed.length, failed: held.failed.length })
    const reachable = ports.filter((p) => local.get(p)?.internal === true)
    const external = s.mode === 'verified' ? await checkFromOutside(s, d, o, reachable, signal) : NOT_ASKED
    const range = { start: s.range.start, end: s.range.end }
    return buildReport({ mode: s.mode, host: s.host, checkedAt: d.clock(), apiPort, range, sshPorts, local, previous: o.previous, ...external })
  } finally {
    await held.release()
  }
}
