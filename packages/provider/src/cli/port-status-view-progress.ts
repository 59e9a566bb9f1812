/**
 * The live part of the port status display: one line per phase of a
 * verification run (local bind, public address, each port-check server),
 * as a pure state, a reducer over progress events and two renderers: a
 * redrawable block for a terminal and one log line per event otherwise.
 *
 * @module
 */
import type { PortVerificationMode } from '@golem-vm/protocol'
import type { VerificationProgress } from '../app/port-verification.js'

export type PhaseStatus = 'pending' | 'running' | 'done' | 'failed' | 'skipped'

export interface PhaseState {
  readonly label: string
  readonly status: PhaseStatus
  readonly detail: string
}

/** Every phase of one run, in display order: local bind, public address, then one per server. */
export interface ProgressState {
  readonly bind: PhaseState
  readonly publicIp: PhaseState
  readonly servers: readonly (PhaseState & { readonly url: string })[]
}

export interface ProgressRenderOptions {
  /** Spinner frame number for running phases (any integer). */
  readonly frame?: number
  readonly color?: boolean
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'] as const
const ANSI = { green: '\x1b[32m', red: '\x1b[31m', yellow: '\x1b[33m', dim: '\x1b[2m', reset: '\x1b[0m' } as const
const BIND = 'Local bind'
const PUBLIC_IP = 'Public address'
const serverLabel = (url: string): string => `Port checker ${url}`

const pending = (label: string): PhaseState => ({ label, status: 'pending', detail: 'waiting' })
const skipped = (label: string, mode: PortVerificationMode): PhaseState => ({
  label,
  status: 'skipped',
  detail: `not checked (${mode === 'development' ? 'development mode' : 'verification skipped'})`,
})

/** The state before a run: everything waiting, or skipped when the mode checks nothing from outside. */
export function initialProgress(servers: readonly string[], mode: PortVerificationMode): ProgressState {
  const outside = (label: string): PhaseState => (mode === 'verified' ? pending(label) : skipped(label, mode))
  return {
    bind: pending(BIND),
    publicIp: outside(PUBLIC_IP),
    servers: servers.map((url) => ({ url, ...outside(serverLabel(url)) })),
  }
}

const plural = (n: number, one: string): string => `${n} ${one}${n === 1 ? '' : 's'}`

// The phase a progress event describes, as it should now read.
function phaseOf(event: VerificationProgress): PhaseState {
  switch (event.phase) {
    case 'bind':
      return event.status === 'running'
        ? { label: BIND, status: 'running', detail: `binding ${plural(event.ports, 'port')}` }
        : { label: BIND, status: 'done', detail: `${plural(event.held, 'port')} held${event.failed > 0 ? `, ${event.failed} in use by other processes` : ''}` }
    case 'public-ip':
      if (event.status === 'running') return { label: PUBLIC_IP, status: 'running', detail: 'asking' }
      return event.status === 'done' ? { label: PUBLIC_IP, status: 'done', detail: event.ip } : { label: PUBLIC_IP, status: 'failed', detail: event.error }
    case 'server': {
      const label = serverLabel(event.url)
      if (event.status === 'running') return { label, status: 'running', detail: `checking ${plural(event.ports, 'port')}` }
      return event.status === 'done'
        ? { label, status: 'done', detail: `${event.reached} of ${plural(event.ports, 'port')} reachable` }
        : { label, status: 'failed', detail: event.error }
    }
  }
}

/** The state after `event`. Pure; an event for an unknown server adds it at the end. */
export function applyProgress(state: ProgressState, event: VerificationProgress): ProgressState {
  const phase = phaseOf(event)
  if (event.phase === 'bind') return { ...state, bind: phase }
  if (event.phase === 'public-ip') return { ...state, publicIp: phase }
  const known = state.servers.some((s) => s.url === event.url)
  const servers = known ? state.servers.map((s) => (s.url === event.url ? { url: s.url, ...phase } : s)) : [...state.servers, { url: event.url, ...phase }]
  return { ...state, servers }
}

/** True while some phase is still running. */
export const isRunning = (state: ProgressState): boolean => [state.bind, state.publicIp, ...state.servers].some((p) => p.status === 'running')

function symbol(status: PhaseStatus, frame: number, color: boolean): string {
  const paint = (code: string, text: string) => (color ? `${code}${text}${ANSI.reset}` : text)
  switch (status) {
    case 'pending':
      return paint(ANSI.dim, '·')
    case 'running':
      return paint(ANSI.yellow, SPINNER[((frame % SPINNER.length) + SPINNER.length) % SPINNER.length] ?? '·')
    case 'done':
      return paint(ANSI.green, '✓')
    case 'failed':
      return paint(ANSI.red, '✗')
    case 'skipped':
      return paint(ANSI.dim, '–')
  }
}

/** The live block for a terminal: a heading and one line per phase, without a trailing newline. */
export function renderProgress(state: ProgressState, opts: ProgressRenderOptions = {}): string {
  const frame = opts.frame ?? 0
  const color = opts.color ?? false
  const phases = [state.bind, state.publicIp, ...state.servers]
  return ['🔍 Verifying ports…', ...phases.map((p) => `  ${symbol(p.status, frame, color)} ${p.label}: ${p.detail}`)].join('\n')
}

/** One plain log line for `event` (no ANSI codes), for output that is not a terminal. */
export function renderProgressLine(event: VerificationProgress): string {
  const phase = phaseOf(event)
  const label = `${phase.label.charAt(0).toLowerCase()}${phase.label.slice(1)}`
  return `port verification: ${label}: ${phase.status === 'failed' ? 'failed: ' : ''}${phase.detail}`
}
