/**
 * The port verification summary for the operator: the seed's boxed status
 * for a terminal (optionally coloured), or plain log lines for CI and
 * systemd. Pure: both return text.
 *
 * @module
 */
import { PORT_TROUBLESHOOTING_ANCHOR, type PortVerificationReport } from '@golem-vm/protocol'
import { formatPorts } from '../app/port-verification-advice.js'

export interface SummaryOptions {
  /** ANSI colours (only for a terminal). */
  readonly color?: boolean
  /** Most VMs at once (MAX_VMS): "can handle up to" never says more. */
  readonly vmLimit?: number
}

type Level = 'ok' | 'warn' | 'fail'

const ICON: Record<Level, string> = { ok: '✅', warn: '⚠️', fail: '❌' }
const ANSI = { ok: '\x1b[32m', warn: '\x1b[33m', fail: '\x1b[31m', bold: '\x1b[1m', reset: '\x1b[0m' } as const

const paint = (color: boolean, code: string, text: string): string => (color ? `${code}${text}${ANSI.reset}` : text)
const plural = (n: number, one: string): string => `${n} ${one}${n === 1 ? '' : 's'}`
const checksOutside = (r: PortVerificationReport): boolean => r.mode === 'verified'
const notVerifiedWhy = (r: PortVerificationReport): string => (r.mode === 'development' ? 'development mode' : 'verification skipped')

/** How many VMs the verified ports allow at once, capped by `vmLimit`. */
export const concurrentVms = (r: PortVerificationReport, vmLimit?: number): number => Math.min(r.ssh_ports.usable.length, vmLimit ?? Number.POSITIVE_INFINITY)

function apiLevel(r: PortVerificationReport): Level {
  const api = r.api_port
  if (!api.internal || api.external === false) return 'fail'
  if (api.external === true) return 'ok'
  return checksOutside(r) && api.port > 0 ? 'fail' : 'warn'
}

function mark(value: boolean | null, color: boolean): string {
  if (value === true) return paint(color, ANSI.ok, '✓')
  if (value === false) return paint(color, ANSI.fail, '✗')
  return paint(color, ANSI.warn, '– (not checked)')
}

function apiLine(r: PortVerificationReport, color: boolean): string {
  const api = r.api_port
  return `[${ICON[apiLevel(r)]}] Provider Port ${api.port}: External ${mark(api.external, color)} | Internal ${mark(api.internal, color)}`
}

function sshLine(r: PortVerificationReport): string {
  const { usable, closed } = r.ssh_ports
  if (usable.length === 0) return `[${ICON.fail}] VM Access Ports: no ports available (0 of ${usable.length + closed.length})`
  const available = `${plural(usable.length, 'port')} available (${formatPorts(usable)})`
  if (!checksOutside(r)) return `[${ICON.warn}] VM Access Ports: ${available}, not verified from outside`
  if (closed.length === 0) return `[${ICON.ok}] VM Access Ports: ${available}`
  return `[${ICON.warn}] VM Access Ports: ${available}; ${closed.length} not usable (${formatPorts(closed.map((c) => c.port))})`
}

function overallLines(r: PortVerificationReport, o: SummaryOptions): string[] {
  const color = o.color ?? false
  if (!r.ready) {
    return [
      `[${ICON.fail}] Overall Status: ${paint(color, ANSI.fail, 'Provider Not Ready')}`,
      '└─ Renters cannot use this provider until the critical issues below are fixed',
    ]
  }
  const capacity = `└─ Can handle up to ${plural(concurrentVms(r, o.vmLimit), 'concurrent VM')}`
  if (!checksOutside(r))
    return [`[${ICON.warn}] Overall Status: ${paint(color, ANSI.warn, `Provider Ready (ports not verified: ${notVerifiedWhy(r)})`)}`, capacity]
  return [`[${ICON.ok}] Overall Status: ${paint(color, ANSI.ok, 'Provider Ready')}`, capacity]
}

function section(title: string, items: readonly string[], numbered: boolean): string[] {
  if (items.length === 0) return []
  return ['', title, ...items.map((item, i) => (numbered ? `  ${i + 1}. ${item}` : `  • ${item}`))]
}

/**
 * The terminal summary in the seed's form: heading, provider port, VM access
 * ports, overall status; then critical issues, warnings, quick fixes and the
 * README pointer when there are any. No trailing newline.
 */
export function renderSummary(r: PortVerificationReport, o: SummaryOptions = {}): string {
  const color = o.color ?? false
  const lines = [
    paint(color, ANSI.bold, '🌟 Port Verification Status'),
    '==========================',
    apiLine(r, color),
    sshLine(r),
    ...overallLines(r, o),
    ...section(`${ICON.fail} Critical Issues:`, r.problems, false),
    ...section(`${ICON.warn} Warnings:`, r.warnings, false),
    ...section('💡 Quick Fixes:', r.fixes, true),
  ]
  if (r.problems.length > 0 || r.fixes.length > 0) lines.push('', `📖 Troubleshooting: ${PORT_TROUBLESHOOTING_ANCHOR}`)
  return lines.join('\n')
}

const word = (value: boolean | null): string => (value === null ? 'not checked' : value ? 'ok' : 'failed')

function plainOverall(r: PortVerificationReport, vmLimit: number | undefined): string {
  if (!r.ready) return 'overall: provider NOT ready'
  const verified = checksOutside(r) ? '' : ` (ports not verified: ${notVerifiedWhy(r)})`
  return `overall: provider ready${verified}, up to ${plural(concurrentVms(r, vmLimit), 'concurrent VM')}`
}

/** The summary as plain log lines (no ANSI codes, no emoji), one fact per line. No trailing newline. */
export function renderPlainSummary(r: PortVerificationReport, o: Pick<SummaryOptions, 'vmLimit'> = {}): string {
  const { usable, closed } = r.ssh_ports
  const facts = [
    `mode ${r.mode}, public address ${r.public_ip ?? 'not checked'}, checked at ${r.checked_at}`,
    `provider port ${r.api_port.port}: external ${word(r.api_port.external)}, internal ${word(r.api_port.internal)}`,
    `VM access ports: ${usable.length} available${usable.length > 0 ? ` (${formatPorts(usable)})` : ''}${closed.length > 0 ? `, ${closed.length} not usable (${formatPorts(closed.map((c) => c.port))})` : ''}`,
    ...r.servers.map((s) => `server ${s.url}: ${s.ok ? 'ok' : `failed: ${s.error ?? 'no answer'}`}`),
    plainOverall(r, o.vmLimit),
    ...r.problems.map((p) => `critical: ${p}`),
    ...r.warnings.map((w) => `warning: ${w}`),
    ...r.fixes.map((f) => `fix: ${f}`),
  ]
  if (r.problems.length > 0 || r.fixes.length > 0) facts.push(`see ${PORT_TROUBLESHOOTING_ANCHOR}`)
  return facts.map((f) => `port verification: ${f}`).join('\n')
}
