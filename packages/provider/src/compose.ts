/**
 * The one place that wires concrete parts together: store, backend, proxy,
 * ledger, use cases and HTTP server. `startProvider` acquires them in one
 * ordered list, each followed by how to give it back (as lima's host agent
 * undoes its acquisitions); stopping runs that list backwards, and so does a
 * start-up that fails half-way. VMs keep running either way.
 *
 * @module
 */
import { mkdir, readFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { pricesOf, signAnswer, type OfferPricing, type PortVerificationMode, type PortVerificationReport, type ProviderStatus } from '@golem-vm/protocol'
import { Advertiser, advertisedArch } from './app/advertiser.js'
import { PortVerificationError } from './app/port-verification-advice.js'
import { PortVerifier } from './app/port-verification-verifier.js'
import type { VerificationProgress } from './app/port-verification.js'
import { PublicAddress } from './app/public-address.js'
import { observedDriver } from './app/observed-driver.js'
import { fanOut, type ForwardingStats, type Telemetry, type TokenEarnings } from './app/ports/telemetry.js'
import { reconcile } from './app/reconciler.js'
import { providerStatus } from './app/status.js'
import { UndoStack } from './app/undo-stack.js'
import { VmService } from './app/vm-service.js'
import { Earnings } from './app/payments/earnings.js'
import { checkPayment, type GateRequest, type ProviderPricing } from './app/payments/payment-gate.js'
import { PaymentMonitor } from './app/payments/payment-monitor.js'
import type { VmRecord } from './domain/vm.js'
import { PaymentSetupError, type ConnectedPayments } from './infra/payments/chain-payments.js'
import type { Config } from './config.js'
import { composeVmNetworking, NetworkSetupError, vmNetworkStatus, VmIsolationError, type Forwarder, type VmNetworking } from './compose-network.js'
import { freeCapacity, freePorts, offeredCapacity, vmsThatFit, type AdmissionPolicy, type OfferedCapacity } from './domain/capacity.js'
import { ephemeralOverlapWarning } from './domain/ephemeral-ports.js'
import { ProviderError } from './domain/errors.js'
import { BUILTIN_IMAGES, ImageCatalog } from './domain/images.js'
import { portOffer, type PortMappingPolicy } from './domain/port-mappings.js'
import { DriverError, type DriverInfo, type VmDriver } from './drivers/driver.js'
import { selectDriver } from './drivers/select.js'
import { renderSummary } from './cli/port-status-view.js'
import { createAuthenticator } from './http/auth.js'
import { dashboardState } from './http/dashboard/dashboard-state.js'
import type { LogEvent } from './infra/logs/recent-logs.js'
import { loadOrCreateAdminToken } from './infra/admin/admin-token.js'
import { DiscoveryClient } from './infra/discovery/discovery-client.js'
import { ephemeralPorts, measureHost } from './infra/host/host-facts.js'
import { fdLimitWarning, raiseFdLimit } from './infra/host/fd-limit.js'
import { BackgroundSigner } from './infra/identity/background-signer.js'
import { background } from './infra/background/shared.js'
import { IdentityError, loadOrCreateIdentity, type ProviderIdentity } from './infra/identity/eth-identity.js'
import { parseImageCatalog } from './infra/images/catalog-file.js'
import { listenForScrapes } from './infra/metrics/metrics-listener.js'
import { ProviderMetrics } from './infra/metrics/provider-metrics.js'
import { holdPorts } from './infra/port-check/hold-ports.js'
import { portCheckClient } from './infra/port-check/port-check-client.js'
import { detectPublicIp, PublicIpError } from './infra/public-ip/public-ip.js'
import { waitForSsh } from './infra/ssh-probe/ssh-probe.js'
import { SqliteVmStore, StoreInUseError, StoreUnusableError } from './infra/store/sqlite-vm-store.js'
import { VERSION } from './version.js'

export interface RunningProvider {
  readonly app: FastifyInstance
  readonly address: string
  readonly driver: DriverInfo
  /** Gives back everything start-up acquired, last first: no new requests, proxies and store closed. VMs keep running. */
  stop(): Promise<void>
}

/** A start-up problem the operator must fix; main prints the message and the code and exits 1. */
export class StartupError extends Error {
  override readonly name = 'StartupError'
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

export interface StartOptions {
  /** Replaces the backend chosen by configuration (tests use the in-memory driver). */
  readonly driver?: VmDriver
  /** Shows the start-up port verification as it runs (main passes a PortStatusDisplay). */
  readonly portDisplay?: { readonly progress: (event: VerificationProgress) => void; finish(report: PortVerificationReport): void }
  /** The last log events, newest first, for the dashboard (main keeps them from the logger's tap). */
  readonly recentLogs?: () => readonly LogEvent[]
}

/** How the ports are judged: checked from outside, or (skip setting, development) only bound locally. */
export function portVerificationMode(config: Config): PortVerificationMode {
  if (!config.skipPortVerification) return 'verified'
  return config.environment === 'development' ? 'development' : 'skipped'
}

/** Runs the start-up sequence and listens. Rejects with StartupError when the operator must fix something. */
export async function startProvider(config: Config, log: Logger, opts: StartOptions = {}): Promise<RunningProvider> {
  for (const warning of config.warnings) log.warn(warning)
  const acquired = new UndoStack(log.child({ part: 'lifecycle' }), 'released')
  try {
    const running = await acquireAll(config, log, opts, acquired)
    const stop = async (): Promise<void> => {
      await acquired.unwind()
      log.info('provider stopped; VMs keep running')
    }
    return { ...running, stop }
  } catch (error) {
    await acquired.unwind()
    throw asStartupError(error)
  }
}

// The start-up sequence, in the order of its dependencies. Every step that leaves something open pushes how to close it.
async function acquireAll(config: Config, log: Logger, opts: StartOptions, acquired: UndoStack): Promise<Omit<RunningProvider, 'stop'>> {
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 })
  await ensureFdLimit(log)
  const store = new SqliteVmStore(config.dbPath)
  acquired.push('vm store', () => store.close())
  // The metrics read the status endpoint's figures and the forwarders' counts once start-up has them; until then a scrape leaves them out.
  const late: {
    status?: () => ProviderStatus
    forwarding?: (vmId: string) => ForwardingStats | undefined
    earnings?: () => readonly TokenEarnings[]
  } = {}
  const metrics = new ProviderMetrics({
    status: () => {
      if (late.status === undefined) throw new Error('starting')
      return late.status()
    },
    vms: () => store.list(),
    forwarding: (id) => late.forwarding?.(id),
    earnings: () => late.earnings?.() ?? [],
  })
  const telemetry = fanOut([metrics], (error) => log.error({ err: error }, 'telemetry sink failed'))
  const driver = observedDriver(opts.driver ?? (await selectDriver(config, log)), telemetry)
  // Isolated: the provider's bridge and firewall, ports forwarded by the kernel; otherwise the user-space proxy.
  const networking = await composeVmNetworking(config, driver, store, log)
  const proxy = networking.forwarder
  late.forwarding = (id) => forwardingStats(networking, id)
  acquired.push(networking.isolated ? 'public ports (the kernel keeps forwarding)' : 'ssh proxies', () => proxy.closeAll())
  if (networking.isolated) {
    acquired.push('vm network (its rules stay in force)', () => {
      networking.network.stop()
    })
    await networking.network.prepare()
    await networking.traffic.start()
    acquired.push('traffic counters', () => {
      networking.traffic.stop()
    })
  }
  // The backend's probe and reconcile wait on its CLI or QEMU; identity, images and the HTTP stack load meanwhile.
  const backend = startBackend(driver, config, store, networking, log)
  acquired.push('backend start-up', () =>
    backend.then(
      () => undefined,
      () => undefined,
    ),
  ) // reconcile may still be opening proxies
  const address = new PublicAddress({ detect: publicIpDetector(config), logger: log.child({ part: 'public-address' }) })
  acquired.push('public address', () => address.stop())
  const mode = portVerificationMode(config)
  // A verified start-up asks for the address in its port check; otherwise nothing else would.
  const [identity, adminToken, images, { buildServer }] = await settleAll(
    [
      loadIdentity(config, log),
      loadOrCreateAdminToken(config.dataDir),
      loadImages(config),
      import('./http/server.js'),
      mode === 'verified' ? Promise.resolve('') : address.refresh(),
    ] as const,
    backend,
  )
  const driverInfo = await backend
  checkDefaultImage(images, config.defaultImage, driver)
  // Measured after reconcile: the storage of records it removed is no longer counted as allocated.
  const capacity = await resolveCapacity(config, store, log)
  await warnIfEphemeral(config, log)
  // Capacity, usable ports and the public address change while the provider runs; the advertiser listens.
  const changed = new EventTarget()
  const signalChange = (): void => {
    changed.dispatchEvent(new Event('change'))
  }
  const verifier = portVerifier(config, store, address, log, signalChange, telemetry)
  acquired.push('port verifier', () => verifier.stop())
  // Restored VMs' proxies listen by now (reconcile), so the check reaches their ports without re-binding them.
  const verified = await verifier.reverify(opts.portDisplay?.progress)
  opts.portDisplay?.finish(verified)
  if (!verified.ready) throw new PortVerificationError(verified)
  address.onChange(() => {
    signalChange()
    void verifier.recheck()
  })
  const policy = (): AdmissionPolicy => ({ totals: capacity.totals, maxVms: config.maxVms, minimums: config.minimums, usablePorts: verifier.usable() })
  const shutdown = new AbortController()
  const payments = await startPayments(config, identity, acquired, log)
  const vms = new VmService({
    store,
    driver,
    proxy,
    forwarder: proxy,
    network: networking.network,
    portPolicy: () => config.ports,
    images,
    policy,
    renterQuota: config.renterQuota,
    defaultImage: config.defaultImage,
    sshReady: (endpoint, signal) => waitForSsh(endpoint, signal),
    // The renter's path as this host takes it: the listen address, or loopback for a wildcard (the kernel path DNATs 127.0.0.1 too).
    publicSshHost: config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host,
    timeouts: { createMs: config.createTimeoutMs, startMs: config.createTimeoutMs, stopMs: config.commandTimeoutMs, deleteMs: config.commandTimeoutMs },
    logger: log.child({ part: 'vms' }),
    onCapacityChange: signalChange,
    shutdown: shutdown.signal,
    ...(payments === undefined
      ? {}
      : {
          checkPayment: async (req: GateRequest) => {
            const accepted = await checkPayment(payments.pricing, payments.connected.chain, req, Math.floor(Date.now() / 1000))
            if (accepted !== undefined) monitor?.monitor.remember(accepted.stream)
            return accepted
          },
          checkStart: refuseUnpaidStart,
        }),
    telemetry,
  })
  const monitor = payments === undefined ? undefined : watchPayments(config, payments, store, vms, log, acquired)
  if (monitor !== undefined) late.earnings = () => monitor.earnings.totals()
  const status = () =>
    providerStatus({
      store,
      policy,
      capacity,
      version: VERSION,
      driver: driverInfo,
      providerId: () => identity.address,
      portRange: config.portRange,
      portReport: () => verifier.report() ?? null,
      portsChecking: () => verifier.checking(),
      vmNetwork: () => vmNetworkStatus(networking),
      portMapping: () => vms.portPolicy(),
      pricing: payments?.pricing.wire ?? null,
    })
  late.status = status
  const auth = createAuthenticator({
    audience: () => identity.address,
    adminToken,
    allowUnsigned: config.allowUnsignedRequests,
    nonces: store.nonces(Date.now(), nonceNotKept(log)),
    // The signer's recovery (about 2 ms of CPU per request) runs on the background thread, never on the API's.
    recover: (message, signature) => background.call('recover', { message, signature }),
  })
  if (config.allowUnsignedRequests)
    log.warn("unsigned requests are allowed (GOLEM_PROVIDER_ALLOW_UNSIGNED_REQUESTS): a VM's name and SSH key are its only guard")
  await listenForMetrics(config, metrics, log, acquired)
  const answerSigner = new BackgroundSigner(identity.key)
  const app = await buildServer({
    vms,
    status,
    sshHost: () => address.current(),
    logger: log,
    version: VERSION,
    rateLimitPerMinute: config.rateLimitPerMinute,
    auth,
    // Signed on the background thread like the adverts: a signature costs the API's event loop nothing.
    signAnswer: (answer) => signAnswer(answerSigner, answer),
    connections: { requestTimeoutMs: config.api.requestTimeoutMs, maxPerAddress: config.api.maxConnectionsPerAddress },
    paymentOf: (vm) => monitor?.monitor.view(vm),
    earnings: monitor?.earnings,
    pricing: payments?.pricing.wire ?? null,
    metrics: {
      render: () => metrics.render(),
      contentType: metrics.contentType,
      public: config.metrics.public,
      observe: (o) => {
        metrics.httpRequest(o)
      },
    },
    dashboard: () =>
      dashboardState({
        status,
        vms: () => store.list(),
        forwarding: (id) => late.forwarding?.(id),
        events: opts.recentLogs ?? (() => []),
        portSummary: (s) => (s.ports.report === null ? null : renderSummary(s.ports.report, { color: false, vmLimit: s.vms.max })),
      }),
  })
  acquired.push('http server', () => app.close())
  const listening = await app.listen({ host: config.host, port: config.port })
  // Requests can start operations from here on; stopping cancels them first (each undoes itself), so closing the server waits only for that.
  acquired.push('operations in flight', () => shutdown.abort())
  const apiPort = (app.server.address() as AddressInfo).port
  verifier.start({ intervalMs: config.portRecheckIntervalMs, apiPort })
  if (config.publicIp === 'auto') address.start(config.publicIpCheckIntervalMs)
  log.info({ address: listening, sshHost: address.current(), ports: verifier.usable().length }, 'provider accepting VM requests')
  const advertiser = createAdvertiser(
    config,
    identity,
    store,
    policy,
    () => vms.portPolicy(),
    () => address.current(),
    apiPort,
    log,
    { ...(payments === undefined ? {} : { pricing: payments.pricing.wire }), isolated: networking.isolated },
    telemetry,
  )
  changed.addEventListener('change', () => advertiser.notify())
  advertiser.start()
  acquired.push('advertisement', () => advertiser.stop())
  return { app, address: listening, driver: driverInfo }
}

// Probes the backend, then brings the records in line with it (restored VMs' proxies listen afterwards).
// The listing only reports unknown instances, so it is asked for while the probe runs; every
// change to a VM waits until the probe has shown the backend works.
async function startBackend(driver: VmDriver, config: Config, store: SqliteVmStore, networking: VmNetworking, log: Logger): Promise<DriverInfo> {
  const proxy: Forwarder = networking.forwarder
  const instances = driver.list(AbortSignal.timeout(config.commandTimeoutMs))
  instances.catch(() => undefined) // a backend that fails its probe fails this too; the probe's error is the one reported
  const info = await driver.probe(AbortSignal.timeout(config.commandTimeoutMs))
  log.info({ backend: info.name, detail: info.detail }, 'backend ready')
  await reconcile({
    store,
    driver,
    proxy,
    forwarder: proxy,
    network: networking.network,
    logger: log.child({ part: 'reconciler' }),
    commandTimeoutMs: config.commandTimeoutMs,
    minimums: config.minimums,
    instances,
  })
  // The records are in line with the backend: their rules replace the last run's, atomically.
  await networking.network?.activate()
  return info
}

/**
 * Awaits every step, like Promise.all, but never leaves one running unseen: if
 * any fails, it waits for the others (and `alongside`) to settle, then throws
 * the first failure, so start-up stops with nothing still in flight.
 */
async function settleAll<T extends readonly unknown[]>(steps: { [K in keyof T]: Promise<T[K]> }, alongside: Promise<unknown>): Promise<T> {
  const results = await Promise.allSettled(steps)
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed === undefined) return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T
  await alongside.catch(() => undefined)
  throw failed.reason
}

/**
 * The one translation of start-up failures: what the operator can fix
 * (a refused setting, a key, a busy data dir, a missing backend, an unknown
 * address, unreachable ports) becomes a StartupError with its message and
 * code; anything else is a defect and stays as it is.
 */
function asStartupError(error: unknown): unknown {
  if (error instanceof StartupError) return error
  if (error instanceof DriverError) return new StartupError(`BACKEND_${error.code}`, `the backend cannot be used: ${error.message}`, { cause: error })
  if (error instanceof IdentityError || error instanceof PublicIpError || error instanceof PortVerificationError || error instanceof ProviderError) {
    return new StartupError(error.code, error.message, { cause: error })
  }
  if (error instanceof StoreInUseError) return new StartupError('STORE_IN_USE', error.message, { cause: error })
  if (error instanceof StoreUnusableError) return new StartupError('STORE_UNUSABLE', error.message, { cause: error })
  if (error instanceof VmIsolationError) return new StartupError(error.code, error.message, { cause: error })
  if (error instanceof NetworkSetupError) return new StartupError('VM_NETWORK_INVALID', error.message, { cause: error })
  if (error instanceof PaymentSetupError) return new StartupError(error.code, error.message, { cause: error })
  return error
}

const publicIpDetector = (config: Config) =>
  config.publicIp === 'auto' ? (signal: AbortSignal) => detectPublicIp(config.publicIpServices, signal) : () => Promise.resolve(config.publicIp)

// Loads the built-in catalogue plus the operator's catalogue file, if any.
async function loadImages(config: Config): Promise<ImageCatalog> {
  if (config.imageCatalogPath === undefined) return new ImageCatalog(BUILTIN_IMAGES)
  const text = await readFile(config.imageCatalogPath, 'utf8').catch((error: unknown) => {
    throw new StartupError('IMAGE_CATALOG_INVALID', `GOLEM_PROVIDER_IMAGE_CATALOG: cannot read ${config.imageCatalogPath ?? ''}: ${(error as Error).message}`)
  })
  const parsed = parseImageCatalog(text, config.imageCatalogPath)
  if (!parsed.ok) throw new StartupError('IMAGE_CATALOG_INVALID', `GOLEM_PROVIDER_IMAGE_CATALOG: ${parsed.problems.join('; ')}`)
  return new ImageCatalog([...BUILTIN_IMAGES, ...parsed.images])
}

// The image a create gets when it names none must be one the backend can run.
function checkDefaultImage(images: ImageCatalog, name: string, driver: VmDriver): void {
  if (images.has(name, driver.name)) return
  const offered =
    images
      .available(driver.name)
      .map((e) => e.name)
      .join(', ') || 'none'
  throw new StartupError(
    'DEFAULT_IMAGE_UNAVAILABLE',
    `GOLEM_PROVIDER_DEFAULT_VM_IMAGE: "${name}" is not an image this provider offers with ${driver.name}; choose one of: ${offered}`,
  )
}

async function resolveCapacity(config: Config, store: SqliteVmStore, log: Logger): Promise<OfferedCapacity> {
  const host = await measureHost(config.dataDir, store.snapshot().allocated.storage)
  const offered = offeredCapacity(host, { thresholds: config.thresholds, offer: config.offer, cpuOvercommit: config.cpuOvercommit })
  if ('problems' in offered) throw new StartupError('OFFER_REFUSED', `the capacity offer is refused: ${offered.problems.join('; ')}`)
  log.info({ host, offered: offered.totals, source: offered.source }, 'capacity')
  if (offered.overcommittedCpu) {
    log.warn({ offeredCpu: offered.totals.cpu, hostCores: host.cpuCores }, 'the CPU offer is over-committed: VMs share host cores')
  }
  return offered
}

// A nonce the database cannot take (full disk) is kept in memory only; said once a minute at most.
function nonceNotKept(log: Logger): (error: unknown) => void {
  let saidAt = 0
  return (error) => {
    if (Date.now() - saidAt < 60_000) return
    saidAt = Date.now()
    log.warn(
      { err: error instanceof Error ? error.message : String(error) },
      'request nonces cannot be written to the database (is the disk full?); they are kept in memory, so a restart now reopens replays',
    )
  }
}

// Every connection takes descriptors: the soft limit goes up to the hard one, and a limit still low is the operator's to raise.
async function ensureFdLimit(log: Logger): Promise<void> {
  const outcome = await raiseFdLimit()
  log.info({ before: outcome.before?.soft, openFileLimit: outcome.after?.soft }, 'open-file limit')
  const warning = fdLimitWarning(outcome)
  if (warning !== undefined) log.warn(warning)
}

// An SSH port an outgoing connection can take is a renter's VM without its port: the operator should reserve the range.
async function warnIfEphemeral(config: Config, log: Logger): Promise<void> {
  const kernel = await ephemeralPorts()
  const warning = kernel === undefined ? undefined : ephemeralOverlapWarning(config.portRange, kernel.range, kernel.reserved)
  if (warning !== undefined) log.warn(warning)
}

// The SSH ports VMs may get: those port-check servers reached from outside (or, when skipped, the free ones).
function portVerifier(config: Config, store: SqliteVmStore, address: PublicAddress, log: Logger, onChange: () => void, telemetry: Telemetry): PortVerifier {
  return new PortVerifier({
    settings: { mode: portVerificationMode(config), host: config.host, apiPort: config.port, range: config.portRange, servers: config.portCheckServers },
    deps: {
      check: portCheckClient({ timeoutMs: config.portCheckTimeoutMs }),
      hold: holdPorts,
      // Each check asks afresh, and the answer becomes the one public address.
      publicIp: (signal) => address.refresh(signal),
      ownPorts: () => store.snapshot().usedPorts,
      clock: () => new Date(),
      logger: log.child({ part: 'ports' }),
    },
    onChange,
    onReport: (report) => {
      telemetry.portsVerified(report)
    },
  })
}

// The advertiser reads the same ledger as admission and the status endpoint, and the one public address;
// `offer` adds the prices (absent: free) and whether VMs are isolated.
function createAdvertiser(
  config: Config,
  identity: ProviderIdentity,
  store: SqliteVmStore,
  policy: () => AdmissionPolicy,
  ports: () => PortMappingPolicy,
  ip: () => string,
  apiPort: number,
  log: Logger,
  offer: { readonly pricing?: OfferPricing; readonly isolated: boolean },
  telemetry: Telemetry,
): Advertiser {
  return new Advertiser({
    publisher: new DiscoveryClient({ baseUrl: config.discoveryUrl, signer: new BackgroundSigner(identity.key) }),
    providerId: identity.address,
    facts: () => ({
      ip_address: ip(),
      country: config.country,
      provider_name: config.providerName,
      version: VERSION,
      arch: advertisedArch(process.arch),
      api_port: apiPort,
      ...offer,
    }),
    freeCapacity: () => freeCapacity(policy().totals, store.snapshot().allocated),
    vmsThatFit: () => vmsThatFit(policy(), store.snapshot()),
    freeSshPorts: () => freePorts(policy(), store.snapshot().usedPorts).length,
    portOffer: () => portOffer(ports(), freePorts(policy(), store.snapshot().usedPorts).length),
    minimums: config.minimums,
    intervalMs: config.advertisementIntervalMs,
    logger: log.child({ part: 'advertiser' }),
    telemetry,
  })
}

interface Payments {
  readonly connected: ConnectedPayments
  readonly pricing: ProviderPricing
}

// A priced provider connects to its payment chain at start (and refuses to start on a wrong contract, token or price).
async function startPayments(config: Config, identity: ProviderIdentity, acquired: UndoStack, log: Logger): Promise<Payments | undefined> {
  if (config.payments === null) {
    log.info('no prices set (GOLEM_PROVIDER_PRICE_*): VMs are free')
    return undefined
  }
  const { connectPayments } = await import('./infra/payments/chain-payments.js')
  const connected = await connectPayments(config.payments, identity.key.privateKey)
  acquired.push('payment chain', () => connected.close())
  const wire = connected.pricing
  return { connected, pricing: { wire, prices: pricesOf(wire), recipient: identity.address, minRunwaySeconds: config.payments.minRunwaySeconds } }
}

// The monitor holds every paid VM to its stream; earnings are withdrawn periodically.
function watchPayments(
  config: Config,
  payments: Payments,
  store: SqliteVmStore,
  vms: VmService,
  log: Logger,
  acquired: UndoStack,
): { monitor: PaymentMonitor; earnings: Earnings } {
  const cfg = config.payments
  if (cfg === null) throw new Error('payments are off')
  const { chain } = payments.connected
  const monitor = new PaymentMonitor({
    store,
    chain,
    vms,
    warningSeconds: cfg.warningSeconds,
    graceSeconds: cfg.graceSeconds,
    checkIntervalMs: cfg.checkIntervalMs,
    logger: log.child({ part: 'payments' }),
  })
  monitor.start()
  acquired.push('payment monitor', () => monitor.stop())
  const { token_symbol: symbol, token_decimals: decimals } = payments.pricing.wire
  const earnings = new Earnings({ store, chain, logger: log.child({ part: 'earnings' }), token: { symbol, decimals } })
  earnings.refresh()
  earnings.startPeriodic(cfg.withdrawIntervalMs, payments.connected.withdrawThreshold)
  acquired.push('periodic withdrawal', () => earnings.stop())
  log.info({ pricing: payments.pricing.wire }, 'payments on: VMs are paid through streams')
  return { monitor, earnings }
}

// A renter may not start a VM whose paid time ran out; a top-up starts it (the monitor).
function refuseUnpaidStart(vm: VmRecord): void {
  if (vm.payment?.expiredAt == null) return
  throw new ProviderError(
    'PAYMENT_EXPIRED',
    `the paid time of VM "${vm.id}" ran out at ${vm.payment.expiredAt.toISOString()}; top up stream ${vm.payment.streamId} and the provider starts the VM again`,
  )
}

// The token-less scrape listener on a loopback address (GOLEM_PROVIDER_METRICS_LISTEN), when the operator asked for one.
async function listenForMetrics(config: Config, metrics: ProviderMetrics, log: Logger, acquired: UndoStack): Promise<void> {
  const at = config.metrics.listen
  if (at === undefined) return
  const listener = await listenForScrapes({
    ...at,
    render: () => metrics.render(),
    contentType: metrics.contentType,
    onError: (error) => log.error({ err: error }, 'metrics scrape failed'),
  }).catch((error: unknown) => {
    throw new StartupError(
      'METRICS_LISTEN_UNAVAILABLE',
      `GOLEM_PROVIDER_METRICS_LISTEN: cannot listen on ${at.host}:${at.port}: ${(error as Error).message}; choose a free port`,
      { cause: error },
    )
  })
  acquired.push('metrics listener', () => listener.close())
  log.info({ url: listener.url }, 'metrics listener ready')
}

// A VM's forwarded connections as the metrics count them, its SSH port and mapped ports together: the user-space proxy's
// counters, or with kernel forwarding (isolated VMs) the kernel's counters of its public ports; undefined when it has none.
function forwardingStats(networking: VmNetworking, vmId: string): ForwardingStats | undefined {
  if (networking.isolated) return networking.traffic.stats(vmId)
  const s = networking.forwarder.vmStats(vmId)
  return s === undefined
    ? undefined
    : { open: s.activeConnections, accepted: s.totalConnections, refused: s.refusedConnections, bytesIn: s.bytesIn, bytesOut: s.bytesOut }
}

async function loadIdentity(config: Config, log: Logger): Promise<ProviderIdentity> {
  const identity = await loadOrCreateIdentity({ keyDir: config.keyDir, providerId: config.providerId, passphrase: config.keyPassphrase })
  for (const notice of identity.notices) log.warn(notice)
  log.info({ providerId: identity.address, created: identity.created, encrypted: identity.encrypted }, 'provider identity')
  return identity
}
