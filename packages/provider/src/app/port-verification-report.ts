/**
 * Turns what one verification run observed (local binds, the public address,
 * each server's answers) into the report: per-port verdicts, the usable
 * ports, and the advice. Pure.
 *
 * @module
 */
import type { PortProbe, PortVerificationMode, PortVerificationReport } from '@golem-vm/protocol'
import { advise, type Findings } from './port-verification-advice.js'

/** Whether this provider holds a port on this host: bound for the check, or its own listener. */
export interface LocalVerdict {
  readonly internal: boolean
  /** Why the port could not be held; null when it is held. */
  readonly reason: string | null
}

/** One port as one server saw it. */
export interface PortAnswer {
  readonly accessible: boolean
  readonly error: string | null
}

/** How one server answered: `results` has a verdict for every port it checked. */
export interface ServerAnswer {
  readonly url: string
  readonly ok: boolean
  readonly error: string | null
  readonly results: ReadonlyMap<number, PortAnswer>
}

/** Everything one verification run observed. */
export interface Observations {
  readonly mode: PortVerificationMode
  readonly host: string
  readonly checkedAt: Date
  readonly publicIp: string | null
  readonly publicIpError: string | null
  /** 0 when the API port is not known yet (it is then reported as not checked). */
  readonly apiPort: number
  readonly range: { readonly start: number; readonly end: number }
  /** Every SSH port of the range, in order. */
  readonly sshPorts: readonly number[]
  /** A verdict for the API port and every SSH port. */
  readonly local: ReadonlyMap<number, LocalVerdict>
  readonly servers: readonly ServerAnswer[]
  /** The last report; its external verdicts are kept when no server answers this time. */
  readonly previous?: PortVerificationReport | undefined
}

const UNREACHABLE = 'not reachable from outside: '
const NOT_HELD: LocalVerdict = { internal: false, reason: 'not checked on this host' }
const UNKNOWN_API_PORT: PortProbe = { port: 0, internal: true, external: null, error: 'not checked: the port is chosen when the API server listens (PORT=0)' }

// The distinct reasons the servers that answered gave for a port, e.g. "Connection refused".
const reasons = (answers: readonly PortAnswer[]): string => [...new Set(answers.map((a) => a.error ?? 'no connection'))].join(' / ')

// True when the earlier report had established that `port` is reachable from outside.
function reachedBefore(previous: PortVerificationReport | undefined, port: number): boolean {
  if (previous === undefined) return false
  if (previous.api_port.port === port) return previous.api_port.external === true
  return previous.ssh_ports.ports.some((p) => p.port === port && p.external === true)
}

const keepsPrevious = (o: Observations): boolean => o.previous !== undefined && !o.servers.some((s) => s.ok)

// One port's verdicts from the local bind and every server that answered.
function probe(o: Observations, port: number): PortProbe {
  const local = o.local.get(port) ?? NOT_HELD
  if (!local.internal) return { port, internal: false, external: null, error: local.reason }
  if (o.mode !== 'verified') return { port, internal: true, external: null, error: null }
  const answers = o.servers.flatMap((s) => {
    const answer = s.ok ? s.results.get(port) : undefined
    return answer === undefined ? [] : [answer]
  })
  if (answers.some((a) => a.accessible)) return { port, internal: true, external: true, error: null }
  if (answers.length > 0) return { port, internal: true, external: false, error: `${UNREACHABLE}${reasons(answers)}` }
  if (keepsPrevious(o) && reachedBefore(o.previous, port)) return { port, internal: true, external: true, error: null }
  const why = o.publicIpError !== null ? 'the public address is unknown' : 'no port-check server answered'
  return { port, internal: true, external: null, error: `not checked: ${why}` }
}

const isUsable = (mode: PortVerificationMode, p: PortProbe): boolean => p.internal && (mode !== 'verified' || p.external === true)

function findings(o: Observations, api: PortProbe, ports: readonly PortProbe[], usable: readonly number[]): Findings {
  return {
    mode: o.mode,
    host: o.host,
    apiPort: o.apiPort,
    range: o.range,
    publicIp: o.publicIp,
    publicIpError: o.publicIpError,
    servers: o.servers,
    keptFrom: keepsPrevious(o) ? (o.previous?.checked_at ?? null) : null,
    apiLocalError: api.internal ? null : api.error,
    apiExternal: api.external,
    apiExternalError: api.external === false ? (api.error?.replace(UNREACHABLE, '') ?? null) : null,
    heldByOthers: ports.filter((p) => !p.internal).map((p) => p.port),
    unreachable: ports.filter((p) => p.external === false).map((p) => p.port),
    usable,
  }
}

/** The report for what `o` observed; `ready` is false exactly when the advice names a problem. */
export function buildReport(o: Observations): PortVerificationReport {
  const api = o.apiPort > 0 ? probe(o, o.apiPort) : UNKNOWN_API_PORT
  const ports = o.sshPorts.map((port) => probe(o, port))
  const usable = ports.filter((p) => isUsable(o.mode, p)).map((p) => p.port)
  const closed = ports.filter((p) => !isUsable(o.mode, p)).map((p) => ({ port: p.port, reason: p.error ?? 'not verified' }))
  const advice = advise(findings(o, api, ports, usable))
  return {
    mode: o.mode,
    checked_at: o.checkedAt.toISOString(),
    public_ip: o.publicIp,
    ready: advice.problems.length === 0,
    api_port: api,
    ssh_ports: { range: { ...o.range }, ports, usable, closed },
    servers: o.servers.map((s) => ({ url: s.url, ok: s.ok, error: s.error })),
    ...advice,
  }
}
