/**
 * The Prometheus adapter: turns telemetry events and HTTP observations into
 * prom-client metrics, reads the ledger, the forwarders and the earnings
 * at scrape time, and renders the text format. prom-client lives here and
 * nowhere else; the use cases only know the telemetry port.
 *
 * @module
 */
import { collectDefaultMetrics, Registry } from 'prom-client'
import { VmStatus, type PortVerificationReport, type ProviderStatus } from '@golem-vm/protocol'
import type {
  AdvertisementSent,
  BackendCalled,
  ForwardingStats,
  OperationFinished,
  OperationStarted,
  Telemetry,
  TokenEarnings,
  VmOperation,
} from '../../app/ports/telemetry.js'
import { createFamilies, type MetricFamilies } from './metric-families.js'

/** What the metrics read at scrape time. Each may throw before start-up has finished; that part is then left out. */
export interface MetricsSources {
  /** The status endpoint's figures (ledger, capacity, ports). */
  readonly status: () => ProviderStatus
  /** Every VM (the operator's view). */
  readonly vms: () => readonly { readonly id: string; readonly status: VmStatus }[]
  /** A VM's forwarded connections; undefined when nothing forwards for it. */
  readonly forwarding: (vmId: string) => ForwardingStats | undefined
  /** Payments per token; absent while the provider is free. */
  readonly earnings?: () => readonly TokenEarnings[]
}

/** One API request, as the HTTP edge saw it. */
export interface HttpObservation {
  readonly method: string
  /** The route pattern (`/api/v1/vms/:id`), never the raw URL; "unmatched" for unknown paths. */
  readonly route: string
  readonly status: number
  readonly durationMs: number
}

export interface ProviderMetricsOptions {
  /** Process and Node.js metrics: memory, CPU, event-loop lag, GC, handles (default true). */
  readonly processMetrics?: boolean
}

/** The text format's content type, for the `/metrics` answer. */
export type MetricsContentType = Registry['contentType']

const GIB = 2 ** 30
/** Every operation, so each has its zero series from the start (tsc fails when one is missing). */
const OPERATIONS = Object.keys({ create: 0, start: 0, stop: 0, delete: 0 } satisfies Record<VmOperation, 0>) as VmOperation[]
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])

export class ProviderMetrics implements Telemetry {
  readonly #registry = new Registry()
  readonly #m: MetricFamilies
  readonly #sources: MetricsSources

  constructor(sources: MetricsSources, opts: ProviderMetricsOptions = {}) {
    this.#sources = sources
    this.#m = createFamilies(this.#registry)
    // A 20 ms timer resolution for the event-loop delay histogram: stalls are measured in full either way,
    // and an idle provider wakes half as often as with prom-client's 10 ms default.
    if (opts.processMetrics ?? true) {
      collectDefaultMetrics({ register: this.#registry, eventLoopMonitoringPrecision: 20 })
      // Gauges named like counters, which promtool rejects; the same counts remain per type (nodejs_active_handles{type}).
      for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'])
        this.#registry.removeSingleMetric(name)
    }
    for (const operation of OPERATIONS) {
      this.#m.operations.inc({ operation, result: 'ok', code: 'none' }, 0)
      this.#m.operationsInProgress.set({ operation }, 0)
    }
  }

  get contentType(): MetricsContentType {
    return this.#registry.contentType
  }

  /** Every metric in the Prometheus text format, with the ledger and forwarders read now. */
  async render(): Promise<string> {
    this.#readSources()
    return this.#registry.metrics()
  }

  operationStarted({ operation }: OperationStarted): void {
    this.#m.operationsInProgress.inc({ operation })
  }

  operationFinished(e: OperationFinished): void {
    const { operation } = e
    this.#m.operationsInProgress.dec({ operation })
    this.#m.operations.inc({ operation, result: e.code === null ? 'ok' : 'error', code: e.code ?? 'none' })
    this.#m.operationSeconds.observe({ operation, phase: 'total' }, e.durationMs / 1000)
    for (const [phase, ms] of Object.entries(e.phasesMs)) this.#m.operationSeconds.observe({ operation, phase }, ms / 1000)
  }

  backendCalled(e: BackendCalled): void {
    this.#m.backendSeconds.observe({ backend: e.backend, command: e.command }, e.durationMs / 1000)
    if (e.code !== null) this.#m.backendFailures.inc({ backend: e.backend, command: e.command, code: e.code })
  }

  advertisementSent(e: AdvertisementSent): void {
    this.#m.advertisements.inc({ kind: e.kind, result: e.result })
    if (e.result === 'ok') this.#m.advertisementLastSuccess.set(e.at.getTime() / 1000)
  }

  portsVerified(report: PortVerificationReport): void {
    const m = this.#m
    m.portVerifications.inc({ result: report.ready ? 'ready' : 'not_ready' })
    m.portVerificationReady.set(report.ready ? 1 : 0)
    m.portVerificationPorts.set({ result: 'reachable' }, report.ssh_ports.usable.length)
    m.portVerificationPorts.set({ result: 'unreachable' }, report.ssh_ports.closed.length)
    m.portVerificationApi.reset()
    if (report.api_port.external !== null) m.portVerificationApi.set({ check: 'external' }, report.api_port.external ? 1 : 0)
    m.portVerificationApi.set({ check: 'internal' }, report.api_port.internal ? 1 : 0)
    const at = Date.parse(report.checked_at)
    if (Number.isFinite(at)) m.portVerificationLast.set(at / 1000)
  }

  /** Records one API request (called by the HTTP edge for every answer). */
  httpRequest(o: HttpObservation): void {
    const method = METHODS.has(o.method) ? o.method : 'OTHER'
    this.#m.httpRequests.inc({ method, route: o.route, status: String(o.status) })
    this.#m.httpSeconds.observe({ method, route: o.route }, o.durationMs / 1000)
  }

  // Sets every scrape-time series from its source; a source that is not ready yet leaves its series out.
  #readSources(): void {
    const m = this.#m
    for (const family of [
      m.info,
      m.vms,
      m.vmsMax,
      m.vmsCanCreate,
      m.cpu,
      m.memory,
      m.storage,
      m.sshPorts,
      m.connectionsOpen,
      m.connectionsAccepted,
      m.connectionsRefused,
      m.forwardedBytes,
      m.earnings,
    ]) {
      family.reset()
    }
    const status = attempt(this.#sources.status)
    if (status !== undefined) this.#ledger(status)
    const vms = attempt(this.#sources.vms)
    if (vms !== undefined) {
      for (const s of VmStatus.options) m.vms.set({ status: s }, vms.filter((vm) => vm.status === s).length)
      for (const vm of vms) this.#forwarding(vm.id)
    }
    for (const e of (this.#sources.earnings === undefined ? undefined : attempt(this.#sources.earnings)) ?? []) {
      m.earnings.set({ token: e.token, state: 'earned' }, tokenUnits(e.earned, e.decimals))
      m.earnings.set({ token: e.token, state: 'withdrawn' }, tokenUnits(e.withdrawn, e.decimals))
      m.earnings.set({ token: e.token, state: 'pending' }, tokenUnits(e.pending, e.decimals))
    }
  }

  #ledger(s: ProviderStatus): void {
    const m = this.#m
    m.info.set({ version: s.version, backend: s.backend.name }, 1)
    m.vmsMax.set(s.vms.max)
    m.vmsCanCreate.set(s.vms.can_create)
    const { total, allocated, free } = s.capacity
    for (const [state, figures] of [
      ['total', total],
      ['allocated', allocated],
      ['free', free],
    ] as const) {
      m.cpu.set({ state }, figures.cpu)
      m.memory.set({ state }, figures.memory * GIB)
      m.storage.set({ state }, figures.storage * GIB)
    }
    m.sshPorts.set({ state: 'usable' }, s.ports.usable)
    m.sshPorts.set({ state: 'free' }, s.ports.free.length)
  }

  #forwarding(vm: string): void {
    const stats = attempt(() => this.#sources.forwarding(vm))
    if (stats === undefined) return
    const m = this.#m
    if (stats.open !== undefined) m.connectionsOpen.set({ vm }, stats.open)
    m.connectionsAccepted.inc({ vm }, stats.accepted)
    m.connectionsRefused.inc({ vm }, stats.refused)
    m.forwardedBytes.inc({ vm, direction: 'in' }, stats.bytesIn)
    m.forwardedBytes.inc({ vm, direction: 'out' }, stats.bytesOut)
  }
}

/** Base units as token units; the whole part is exact, only the fraction is rounded to a double. */
export function tokenUnits(amount: bigint, decimals: number): number {
  const scale = 10n ** BigInt(decimals)
  return Number(amount / scale) + Number(amount % scale) / Number(scale)
}

// A source read at scrape time; one that throws (start-up not finished) is skipped, never fails the scrape.
function attempt<T>(read: () => T): T | undefined {
  try {
    return read()
  } catch {
    return undefined
  }
}
