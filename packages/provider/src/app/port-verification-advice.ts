/**
 * What the port verification tells the operator: critical problems, warnings
 * and quick fixes, written from the findings of one verification run; and
 * the error that stops start-up when the provider cannot serve renters.
 *
 * @module
 */
import { PORT_TROUBLESHOOTING_ANCHOR, type PortVerificationMode, type PortVerificationReport } from '@golem-vm/protocol'

/** What one verification run established, as the advice needs it. */
export interface Findings {
  readonly mode: PortVerificationMode
  readonly host: string
  readonly apiPort: number
  readonly range: { readonly start: number; readonly end: number }
  readonly publicIp: string | null
  readonly publicIpError: string | null
  readonly servers: readonly { readonly url: string; readonly ok: boolean; readonly error: string | null }[]
  /** `checked_at` of the earlier report whose external verdicts were kept because no server answered. */
  readonly keptFrom: string | null
  /** Why the API port cannot be held locally; null when it can. */
  readonly apiLocalError: string | null
  readonly apiExternal: boolean | null
  readonly apiExternalError: string | null
  readonly heldByOthers: readonly number[]
  readonly unreachable: readonly number[]
  readonly usable: readonly number[]
}

export interface Advice {
  readonly problems: string[]
  readonly warnings: string[]
  readonly fixes: string[]
}

const MAX_SEGMENTS = 12

/**
 * Compresses ports into ranges for text: `[50800, 50801, 50802, 50805]` →
 * `"50800-50802, 50805"`. Sorts and drops duplicates; lists at most
 * `maxSegments` segments, then says how many ports are left out.
 */
export function formatPorts(ports: readonly number[], maxSegments = MAX_SEGMENTS): string {
  const sorted = [...new Set(ports)].sort((a, b) => a - b)
  const segments: [number, number][] = []
  for (const port of sorted) {
    const last = segments.at(-1)
    if (last !== undefined && port === last[1] + 1) last[1] = port
    else segments.push([port, port])
  }
  const shown = segments.slice(0, maxSegments)
  const text = shown.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(', ')
  const hidden = segments.slice(maxSegments).reduce((n, [a, b]) => n + b - a + 1, 0)
  return hidden === 0 ? text : `${text} and ${hidden} more`
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`

// A checker that answered 403 FOREIGN_ADDRESS was reached: it refused to check an address that is not
// the one this host's requests come from (the port-check client writes such a failure as "HTTP 403 FOREIGN_ADDRESS: …").
const isForeignRefusal = (s: { readonly ok: boolean; readonly error: string | null }): boolean =>
  !s.ok && s.error !== null && /^HTTP 403 FOREIGN_ADDRESS\b/.test(s.error)
const rangeText = (f: Findings): string => `${f.range.start}-${f.range.end}`
const serversAnswered = (f: Findings): boolean => f.servers.some((s) => s.ok)

// Problems that make the provider unusable: start-up stops on any of them.
function criticalProblems(f: Findings): string[] {
  const problems: string[] = []
  if (f.apiLocalError !== null) problems.push(`Provider port ${f.apiPort} cannot be used: ${f.apiLocalError}`)
  if (f.mode !== 'verified') {
    if (f.usable.length === 0) problems.push(`No SSH port of ${rangeText(f)} can be bound on ${f.host}`)
    return problems
  }
  if (f.publicIpError !== null) problems.push(`The public address is unknown, so no port could be checked: ${f.publicIpError}`)
  else if (!serversAnswered(f) && f.keptFrom === null) {
    const why = f.servers.map((s) => `${s.url}: ${s.error ?? 'failed'}`).join('; ')
    if (f.servers.length === 0) problems.push('No port-check server is configured')
    else if (f.servers.some(isForeignRefusal))
      problems.push(
        `The port-check servers refused to check ${f.publicIp ?? 'the public address'}: it is not the address this host's requests come from, so the public address setting does not match this host (${why})`,
      )
    else problems.push(`No port-check server could be reached (${why})`)
  }
  if (f.apiExternal === false)
    problems.push(
      `Provider port ${f.apiPort} is not reachable from the internet (${f.apiExternalError ?? 'no connection'}), so renters cannot reach the provider`,
    )
  if (f.usable.length === 0) problems.push(...noSshPort(f))
  return problems
}

// Why no SSH port is usable, when the checks got far enough to say.
function noSshPort(f: Findings): string[] {
  if (f.heldByOthers.length === f.range.end - f.range.start + 1) return [`Every SSH port of ${rangeText(f)} is held by another process`]
  if (!serversAnswered(f) && f.keptFrom === null) return []
  return [`No SSH port of ${rangeText(f)} is reachable from the internet, so renters could not reach any VM`]
}

function warningsOf(f: Findings): string[] {
  const warnings: string[] = []
  if (f.mode === 'skipped')
    warnings.push(
      'Port verification is skipped (GOLEM_PROVIDER_SKIP_PORT_VERIFICATION=true): every locally free port is offered, unchecked from outside; renters may be unable to reach them',
    )
  if (f.mode === 'development') warnings.push('Development mode: ports are not verified from outside; every locally free port is offered')
  const failed = f.servers.filter((s) => !s.ok)
  if (serversAnswered(f))
    for (const s of failed) warnings.push(`Port-check server ${s.url} failed: ${s.error ?? 'no answer'}; the other servers' results are used`)
  if (f.keptFrom !== null && !serversAnswered(f)) warnings.push(`No port-check server answered; the results of ${f.keptFrom} are kept until the next check`)
  if (f.heldByOthers.length > 0)
    warnings.push(`${plural(f.heldByOthers.length, 'SSH port')} held by other processes and not offered: ${formatPorts(f.heldByOthers)}`)
  if (f.unreachable.length > 0 && f.usable.length > 0)
    warnings.push(`${plural(f.unreachable.length, 'SSH port')} not reachable from the internet and not offered: ${formatPorts(f.unreachable)}`)
  return warnings
}

// Reachability fixes: the three usual causes, in the order worth checking.
function reachabilityFixes(f: Findings): string[] {
  const ports = `${f.apiPort} and ${rangeText(f)}`
  const ip = f.publicIp ?? 'your public address'
  return [
    `Router: forward TCP ports ${ports} to ${f.host === '0.0.0.0' || f.host === '::' ? "this machine's LAN address" : `this machine (${f.host})`}`,
    `Firewall: allow incoming TCP on those ports, e.g. \`sudo ufw allow ${f.apiPort}/tcp && sudo ufw allow ${f.range.start}:${f.range.end}/tcp\`, and in any cloud security group`,
    `CGNAT: if your router's WAN address is not ${ip} (or lies in 100.64.0.0/10), your ISP uses carrier-grade NAT and forwarding cannot work: ask the ISP for a public IPv4 address, or run the provider on a host that has one`,
  ]
}

function fixesOf(f: Findings): string[] {
  const fixes: string[] = []
  if (f.apiLocalError !== null)
    fixes.push(`Stop the process that holds port ${f.apiPort} (\`ss -ltnp 'sport = :${f.apiPort}'\`), or choose another with GOLEM_PROVIDER_PORT`)
  if (f.mode === 'verified' && f.publicIpError !== null)
    fixes.push(
      'Set GOLEM_PROVIDER_PUBLIC_IP to the address renters connect to, or let this host reach the address services in GOLEM_PROVIDER_PUBLIC_IP_SERVICES',
    )
  const noServer = f.mode === 'verified' && f.publicIpError === null && !serversAnswered(f)
  const foreign = noServer && f.servers.some(isForeignRefusal)
  if (foreign) {
    fixes.push(
      `Set GOLEM_PROVIDER_PUBLIC_IP to the address this host's connections leave from (the checker's message names it), or unset it so the address services in GOLEM_PROVIDER_PUBLIC_IP_SERVICES find it; if outgoing traffic leaves through another address than renters reach (a VPN, a second uplink), route it through the public one`,
    )
  } else if (noServer) {
    fixes.push(
      `Check that this host can reach the port-check servers (${f.servers.map((s) => s.url).join(', ') || 'none listed'}), or list others in GOLEM_PROVIDER_PORT_CHECK_SERVERS`,
    )
  }
  if (f.apiExternal === false || (f.unreachable.length > 0 && f.mode === 'verified')) fixes.push(...reachabilityFixes(f))
  if (f.heldByOthers.length > 0)
    fixes.push(
      `Free the SSH ports other processes hold (\`ss -ltnp 'sport = :${f.heldByOthers[0] ?? f.range.start}'\`), or move the range with GOLEM_PROVIDER_PORT_RANGE_START/END`,
    )
  if (noServer) fixes.push('Only for a local test: GOLEM_PROVIDER_SKIP_PORT_VERIFICATION=true offers every free port without checking')
  return fixes
}

/** The problems, warnings and fixes for `findings`; no problems means the provider is ready. */
export const advise = (findings: Findings): Advice => ({
  problems: criticalProblems(findings),
  warnings: warningsOf(findings),
  fixes: fixesOf(findings),
})

/**
 * Thrown (by the caller) when a verification finds the provider unusable:
 * no port-check server answered, no SSH port is reachable, or the provider
 * port is unusable. The message lists the problems, the likely causes, the
 * quick fixes and the README section; `report` has the details.
 */
export class PortVerificationError extends Error {
  override readonly name = 'PortVerificationError'
  readonly code = 'PORT_VERIFICATION_FAILED'
  constructor(readonly report: PortVerificationReport) {
    super(failureMessage(report))
  }
}

function failureMessage(r: PortVerificationReport): string {
  const problems = r.problems.map((p) => `  - ${p}`).join('\n')
  const fixes = r.fixes.map((x, i) => `  ${i + 1}. ${x}`).join('\n')
  const causes =
    r.mode !== 'verified' || r.servers.some((s) => s.ok)
      ? 'Likely causes: the router does not forward the ports to this machine, a firewall blocks them, or the ISP uses carrier-grade NAT (CGNAT).'
      : r.servers.some(isForeignRefusal)
        ? 'Likely cause: the public address this provider was given (GOLEM_PROVIDER_PUBLIC_IP) differs from the address its requests leave from, and a port checker only checks the address a request comes from.'
        : 'Likely causes: this host cannot reach the port-check servers (no internet access, an outbound firewall, or the servers are down), or its public address is unknown.'
  return (
    `port verification failed; renters could not use this provider:\n${problems}\n${causes}\nQuick fixes:\n${fixes}\n` + `See ${PORT_TROUBLESHOOTING_ANCHOR}`
  )
}

/** Throws {@link PortVerificationError} unless `report` says the provider is ready. */
export function assertPortsReady(report: PortVerificationReport): void {
  if (!report.ready) throw new PortVerificationError(report)
}
