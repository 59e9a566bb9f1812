/**
 * The one place that wires concrete parts together: store, backend, proxy,
 * ledger, use cases and HTTP server. `startProvider` runs the start-up
 * sequence; the returned handle stops it cleanly (VMs keep running).
 *
 * @module
 */
import { mkdir, readFile } from 'node:fs/promises'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { PortVerificationMode, PortVerificationReport } from '@golem-vm/protocol'
import { PortVerificationError } from './app/port-verification-advice.js'
import { PortVerifier } from './app/port-verification-verifier.js'
import type { VerificationProgress } from './app/port-verification.js'
import { reconcile } from './app/reconciler.js'
import { providerStatus } from './app/status.js'
import { VmService } from './app/vm-service.js'
import type { Config } from './config.js'
import type { AddressInfo } from 'node:net'
import { Advertiser, advertisedArch } from './app/advertiser.js'
import { freeCapacity, freePorts, offeredCapacity, vmsThatFit, type AdmissionPolicy, type OfferedCapacity } from './domain/capacity.js'
import { DiscoveryClient } from './infra/discovery/discovery-client.js'
import { ProviderError } from './domain/errors.js'
import { BUILTIN_IMAGES, ImageCatalog } from './domain/images.js'
import type { DriverInfo, VmDriver } from './drivers/driver.js'
import { selectDriver } from './drivers/select.js'
import { createAuthenticator } from './http/auth.js'
import { loadOrCreateAdminToken } from './infra/admin/admin-token.js'
import { BackgroundSigner } from './infra/identity/background-signer.js'
import { IdentityError, loadOrCreateIdentity, type ProviderIdentity } from './infra/identity/eth-identity.js'
import { ephemeralPorts, measureHost } from './infra/host/host-facts.js'
import { ephemeralOverlapWarning } from './domain/ephemeral-ports.js'
import { parseImageCatalog } from './infra/images/catalog-file.js'
import { holdPorts } from './infra/port-check/hold-ports.js'
import { portCheckClient } from './infra/port-check/port-check-client.js'
import { detectPublicIp } from './infra/public-ip/public-ip.js'
import { SshProxy } from './infra/ssh-proxy/ssh-proxy.js'
import { waitForSsh } from './infra/ssh-probe/ssh-probe.js'
import { SqliteVmStore, StoreInUseError } from './infra/store/sqlite-vm-store.js'
import { VERSION } from './version.js'

export interface RunningProvider {
  readonly app: FastifyInstance
  readonly address: string
  readonly driver: DriverInfo
  /** Stops accepting, closes proxies and the store. VMs keep running. */
  stop(): Promise<void>
}

/** Thrown for start-up problems the operator must fix; main prints the message and exits 1. */
export class StartupError extends Error {
  override readonly name = 'StartupError'
}

export interface StartOptions {
  /** Replaces the backend chosen by configuration (tests use the in-memory driver). */
  readonly driver?: VmDriver
  /** Shows the start-up port verification as it runs (main passes a PortStatusDisplay). */
  readonly portDisplay?: { readonly progress: (event: VerificationProgress) => void; finish(report: PortVerificationReport): void }
}

// Loads the built-in catalogue plus the operator's catalogue file, if any.
async function loadImages(config: Config): Promise<ImageCatalog> {
  if (config.imageCatalogPath === undefined) return new ImageCatalog(BUILTIN_IMAGES)
  let text: string
  try {
    text = await readFile(config.imageCatalogPath, 'utf8')
  } catch (error) {
    throw new StartupError(`GOLEM_PROVIDER_IMAGE_CATALOG: cannot read ${config.imageCatalogPath}: ${(error as Error).message}`)
  }
  const parsed = parseImageCatalog(text, config.imageCatalogPath)
  if (!parsed.ok) throw new StartupError(`GOLEM_PROVIDER_IMAGE_CATALOG: ${parsed.problems.join('; ')}`)
  return new ImageCatalog([...BUILTIN_IMAGES, ...parsed.images])
}

async function resolveCapacity(config: Config, store: SqliteVmStore, log: Logger): Promise<OfferedCapacity> {
  const host = await measureHost(config.dataDir, store.snapshot().allocated.storage)
  const offered = offeredCapacity(host, { thresholds: config.thresholds, offer: config.offer, cpuOvercommit: config.cpuOvercommit })
  if ('problems' in offered) throw new StartupError(`the capacity offer is refused: ${offered.problems.join('; ')}`)
  log.info({ host, offered: offered.totals, source: offered.source }, 'capacity')
  if (offered.overcommittedCpu) {
    log.warn({ offeredCpu: offered.totals.cpu, hostCores: host.cpuCores }, 'the CPU offer is over-committed: VMs share host cores')
  }
  return offered
}

// An SSH port an outgoing connection can take is a renter's VM without its port: the operator should reserve the range.
async function warnIfEphemeral(config: Config, log: Logger): Promise<void> {
  const kernel = await ephemeralPorts()
  const warning = kernel === undefined ? undefined : ephemeralOverlapWarning(config.portRange, kernel.range, kernel.reserved)
  if (warning !== undefined) log.warn(warning)
}

/** How the ports are judged: checked from outside, or (skip setting, development) only bound locally. */
export function portVerificationMode(config: Config): PortVerificationMode {
  if (!config.skipPortVerification) return 'verified'
  return config.environment === 'development' ? 'development' : 'skipped'
}

// The SSH ports VMs may get: those port-check servers reached from outside (or, when skipped, the free ones).
function portVerifier(config: Config, store: SqliteVmStore, log: Logger, apiListener: () => number | null, onChange: () => void): PortVerifier {
  const publicIp = config.publicIp === 'auto' ? () => detectPublicIp(config.publicIpServices) : () => Promise.resolve(config.publicIp)
  return new PortVerifier({
    settings: { mode: portVerificationMode(config), host: config.host, apiPort: config.port, range: config.portRange, servers: config.portCheckServers },
    deps: {
      check: portCheckClient({ timeoutMs: config.portCheckTimeoutMs }),
      hold: holdPorts,
      publicIp,
      ownPorts: () => store.snapshot().usedPorts,
      apiListener,
      clock: () => new Date(),
      logger: log.child({ part: 'ports' }),
    },
    onChange,
  })
}

async function resolvePublicHost(config: Config): Promise<string> {
  if (config.publicIp !== 'auto') return config.publicIp
  try {
    return await detectPublicIp(config.publicIpServices)
  } catch (error) {
    throw new StartupError((error as Error).message)
  }
}

/** Runs the start-up sequence and listens. Rejects with StartupError when the operator must fix something. */
export async function startProvider(config: Config, log: Logger, opts: StartOptions = {}): Promise<RunningProvider> {
  for (const warning of config.warnings) log.warn(warning)
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 })
  const store = openStore(config.dbPath)
  const shutdown = new AbortController()
  const proxy = new SshProxy({ host: config.host, logger: log.child({ part: 'ssh-proxy' }), ...config.proxy })
  let stopVerifier = (): Promise<void> => Promise.resolve()
  let pendingBackend: Promise<DriverInfo> | undefined
  let server: FastifyInstance | undefined
  try {
    // The backend's probe and reconcile wait on its CLI or QEMU; the rest of the start-up runs meanwhile.
    const driver = opts.driver ?? (await selectDriver(config, log))
    const backend = startBackend(driver, { config, store, proxy, log })
    pendingBackend = backend
    backend.catch(() => undefined) // awaited below; a failure meanwhile is not unhandled
    // The HTTP stack (Fastify, its plugins, the route schemas: ~0.2 s to load) is imported now, while the backend answers.
    const [identity, adminToken, images, sshHost, { buildServer }] = await settleAll([
      loadIdentity(config, log), loadOrCreateAdminToken(config.dataDir), loadImages(config), resolvePublicHost(config), import('./http/server.js'),
    ], backend)
    let apiPort: number | null = null
    // Created once the API listens (its real port goes into the advertisement); capacity changes signal it meanwhile.
    // eslint-disable-next-line prefer-const -- assigned after listen, read by the closures below before that
    let advertiser: Advertiser | undefined
    const verifier = portVerifier(config, store, log, () => apiPort, () => advertiser?.notify())
    stopVerifier = () => verifier.stop()
    const policy = (): AdmissionPolicy => ({ totals: capacity.totals, maxVms: config.maxVms, minimums: config.minimums, usablePorts: verifier.usable() })
    const vms = new VmService({
      store, driver, proxy, images, policy,
      waitForSsh: (endpoint, signal) => waitForSsh(endpoint, signal),
      timeouts: { createMs: config.createTimeoutMs, startMs: config.createTimeoutMs, stopMs: config.commandTimeoutMs, deleteMs: config.commandTimeoutMs },
      logger: log.child({ part: 'vms' }),
      onCapacityChange: () => advertiser?.notify(),
      shutdown: shutdown.signal,
    })
    // Read only by requests, which come after `backend` resolved (below, before listening).
    // eslint-disable-next-line prefer-const -- assigned once the backend is ready, read by `status` after that
    let driverInfo: DriverInfo | undefined
    const status = () => providerStatus({
      store, policy, capacity, version: VERSION,
      driver: ready(driverInfo, 'the backend'),
      providerId: () => identity.address,
      portRange: config.portRange,
      portReport: () => verifier.report() ?? null,
      portsChecking: () => verifier.checking(),
    })
    const authenticate = createAuthenticator({ audience: () => identity.address, adminToken, allowUnsigned: config.allowUnsignedRequests })
    if (config.allowUnsignedRequests) log.warn('unsigned requests are allowed (GOLEM_PROVIDER_ALLOW_UNSIGNED_REQUESTS): a VM\'s name and SSH key are its only guard')
    const app = await buildServer({ vms, status, sshHost: () => verifier.report()?.public_ip ?? sshHost, logger: log, version: VERSION, rateLimitPerMinute: config.rateLimitPerMinute, authenticate })
    server = app
    await app.ready() // compiles every route's schemas while the backend may still be answering
    driverInfo = await backend
    // Measured after reconcile: the storage of records it removed is no longer counted as allocated.
    const capacity = await resolveCapacity(config, store, log)
    await warnIfEphemeral(config, log)
    // Restored VMs' proxies listen by now (reconcile), so the check reaches their ports without re-binding them.
    const verified = await verifier.reverify(opts.portDisplay?.progress)
    opts.portDisplay?.finish(verified)
    if (!verified.ready) throw new StartupError(new PortVerificationError(verified).message)
    const address = await app.listen({ host: config.host, port: config.port })
    apiPort = (app.server.address() as AddressInfo).port
    verifier.start({ intervalMs: config.portRecheckIntervalMs, addressPollMs: config.publicIpCheckIntervalMs })
    log.info({ address, sshHost, ports: verifier.usable().length }, 'provider accepting VM requests')
    advertiser = createAdvertiser(config, identity, store, policy, { ip: sshHost, apiPort: (app.server.address() as AddressInfo).port }, log)
    advertiser.start()
    return {
      app, address, driver: driverInfo,
      stop: async () => {
        shutdown.abort()
        await verifier.stop()
        await advertiser.stop()
        await app.close()
        await proxy.closeAll()
        store.close()
        log.info('provider stopped; VMs keep running')
      },
    }
  } catch (error) {
    shutdown.abort()
    await stopVerifier()
    await pendingBackend?.catch(() => undefined) // reconcile may still be opening proxies
    await server?.close()
    await proxy.closeAll()
    store.close()
    throw error
  }
}

// A value set during start-up, read by request handlers, which run only after it is set.
function ready<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} was read before start-up set it`)
  return value
}

interface BackendContext {
  readonly config: Config
  readonly store: SqliteVmStore
  readonly proxy: SshProxy
  readonly log: Logger
}

// Probes the backend, then brings the records in line with it (restored VMs' proxies listen afterwards).
// The listing only reports unknown instances, so it is asked for while the probe runs; every
// change to a VM waits until the probe has shown the backend works.
async function startBackend(driver: VmDriver, { config, store, proxy, log }: BackendContext): Promise<DriverInfo> {
  const instances = driver.list(AbortSignal.timeout(config.commandTimeoutMs))
  instances.catch(() => undefined) // a backend that fails its probe fails this too; the probe's error is the one reported
  const info = await probe(driver, config)
  log.info({ backend: info.name, detail: info.detail }, 'backend ready')
  await reconcile({ store, driver, proxy, logger: log.child({ part: 'reconciler' }), commandTimeoutMs: config.commandTimeoutMs, instances })
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

// The advertiser reads the same ledger as admission and the status endpoint.
function createAdvertiser(config: Config, identity: ProviderIdentity, store: SqliteVmStore, policy: () => AdmissionPolicy, where: { ip: string; apiPort: number }, log: Logger): Advertiser {
  return new Advertiser({
    publisher: new DiscoveryClient({ baseUrl: config.discoveryUrl, signer: new BackgroundSigner(identity.key) }),
    providerId: identity.address,
    facts: { ip_address: where.ip, country: config.country, provider_name: config.providerName, version: VERSION, arch: advertisedArch(process.arch), api_port: where.apiPort },
    freeCapacity: () => freeCapacity(policy().totals, store.snapshot().allocated),
    vmsThatFit: () => vmsThatFit(policy(), store.snapshot()),
    freeSshPorts: () => freePorts(policy(), store.snapshot().usedPorts).length,
    minimums: config.minimums,
    intervalMs: config.advertisementIntervalMs,
    logger: log.child({ part: 'advertiser' }),
  })
}

function openStore(path: string): SqliteVmStore {
  try {
    return new SqliteVmStore(path)
  } catch (error) {
    if (error instanceof StoreInUseError) throw new StartupError(error.message)
    throw error
  }
}

async function loadIdentity(config: Config, log: Logger): Promise<ProviderIdentity> {
  try {
    const identity = await loadOrCreateIdentity({ keyDir: config.keyDir, providerId: config.providerId, passphrase: config.keyPassphrase })
    for (const notice of identity.notices) log.warn(notice)
    log.info({ providerId: identity.address, created: identity.created, encrypted: identity.encrypted }, 'provider identity')
    return identity
  } catch (error) {
    if (error instanceof IdentityError) throw new StartupError(error.message)
    throw error
  }
}

async function probe(driver: VmDriver, config: Config): Promise<DriverInfo> {
  try {
    return await driver.probe(AbortSignal.timeout(config.commandTimeoutMs))
  } catch (error) {
    throw new StartupError(error instanceof ProviderError ? error.message : `the backend cannot be used: ${String(error)}`)
  }
}
