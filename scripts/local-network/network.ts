/**
 * Starts the three services of the network as child processes on
 * 127.0.0.1, each with its state in the run's throw-away dir, and learns
 * where each listens from its log: discovery and the port checker log a
 * JSON line with `"event":"listening"` and the bound `port`; the provider
 * logs "provider accepting VM requests" with its `address` (and, before,
 * "provider identity" with its id). Every service runs with its working
 * directory in the throw-away dir (so the provider reads no `.env` of the
 * repository).
 *
 * @module
 */
import { existsSync, statfsSync } from 'node:fs'
import { totalmem } from 'node:os'
import { join } from 'node:path'
import { Service, type LogEntry } from './proc.js'

/** Paths of the run. */
export interface RunPaths {
  readonly repoRoot: string
  /** The throw-away dir: everything the run writes goes here. */
  readonly dir: string
  readonly logs: string
}

export const BINS = {
  discovery: 'packages/discovery/bin/golem-discovery.js',
  portChecker: 'packages/port-checker/bin/golem-port-checker.js',
  provider: 'packages/provider/bin/golem-provider.js',
  requestor: 'packages/requestor/bin/golem-vm.js',
} as const

/** Packages whose compiled code is missing (each bin imports `../dist/src/main.js`). */
export function missingBuilds(repoRoot: string): string[] {
  return Object.values(BINS)
    .filter((bin) => !existsSync(join(repoRoot, bin, '../../dist/src/main.js')))
    .map((bin) => bin.split('/')[1] ?? bin)
}

const START_TIMEOUT_MS = 30_000

/** A started service and where it listens. */
export interface Started {
  readonly service: Service
  readonly url: string
  readonly port: number
}

// A service that did not come up is stopped before the error goes on, so nothing of it is left.
const stopAndThrow =
  (service: Service, graceMs: number) =>
  async (error: unknown): Promise<never> => {
    await service.stop(graceMs)
    await service.closeLog()
    throw error
  }

const isListeningLine = (entry: LogEntry): boolean => entry.event === 'listening' && typeof entry.port === 'number'

async function startListening(name: string, bin: string, paths: RunPaths, env: NodeJS.ProcessEnv, signal: AbortSignal): Promise<Started> {
  const service = new Service(name, [join(paths.repoRoot, bin)], { env, cwd: paths.dir, logFile: join(paths.logs, `${name.replace(/ /g, '-')}.log`) })
  const line = await service.waitForLog(isListeningLine, 'its "listening" line', START_TIMEOUT_MS, signal).catch(stopAndThrow(service, 10_000))
  const port = line.port as number
  return { service, url: `http://127.0.0.1:${port}`, port }
}

/** The discovery service, its database in `<dir>/discovery`. */
export function startDiscovery(paths: RunPaths, baseEnv: NodeJS.ProcessEnv, signal: AbortSignal): Promise<Started> {
  return startListening(
    'discovery',
    BINS.discovery,
    paths,
    {
      ...baseEnv,
      GOLEM_DISCOVERY_HOST: '127.0.0.1',
      GOLEM_DISCOVERY_PORT: '0',
      GOLEM_DISCOVERY_DATA_DIR: join(paths.dir, 'discovery'),
      GOLEM_DISCOVERY_LOG_FORMAT: 'json',
      // Everything runs on 127.0.0.1: loopback addresses are accepted in advertisements.
      GOLEM_DISCOVERY_ENVIRONMENT: 'development',
      // The live view polls it every second; nothing else talks to it.
      GOLEM_DISCOVERY_RATE_LIMIT_PER_MINUTE: '0',
    },
    signal,
  )
}

/** The port-check server; a request from 127.0.0.1 about 127.0.0.1 is the caller's own address. */
export function startPortChecker(paths: RunPaths, baseEnv: NodeJS.ProcessEnv, signal: AbortSignal): Promise<Started> {
  return startListening(
    'port checker',
    BINS.portChecker,
    paths,
    {
      ...baseEnv,
      PORT_CHECKER_HOST: '127.0.0.1',
      PORT_CHECKER_PORT: '0',
      PORT_CHECKER_RATE_LIMIT_PER_MINUTE: '10000',
    },
    signal,
  )
}

/** What the provider needs to know about the rest of the network. */
export interface ProviderSettings {
  readonly backend: 'qemu' | 'multipass'
  readonly catalog: string | undefined
  readonly discoveryUrl: string
  readonly checkerUrl: string
  readonly apiPort: number
  readonly sshRange: { readonly start: number; readonly end: number }
  readonly offer: Offer
}

/** The totals offered to renters. */
export interface Offer {
  readonly cpu: number
  readonly memory: number
  readonly storage: number
}

/**
 * An offer that fits this machine: 4 CPUs (the provider allows up to 4×
 * the host's cores), up to 4 GB of memory and 40 GB of disk, less when the
 * host has less (sparse qcow2 overlays use little of it).
 */
export function modestOffer(dir: string): Offer {
  const memory = Math.max(1, Math.min(4, Math.floor((totalmem() / 1024 ** 3) * 0.8)))
  let freeGb = 40
  try {
    const fs = statfsSync(dir)
    freeGb = Math.floor((fs.bavail * fs.bsize) / 1024 ** 3)
  } catch {
    // Keep the default; the provider checks the offer against the host itself.
  }
  return { cpu: 4, memory, storage: Math.max(10, Math.min(40, Math.floor(freeGb * 0.8))) }
}

/** A started provider: its API, id, log file and admin token path. */
export interface StartedProvider extends Started {
  readonly id: string
  readonly dataDir: string
  readonly adminTokenFile: string
}

/**
 * The provider: verifies its ports against the local checker, advertises to
 * the local discovery service, and accepts signed requests only.
 */
export async function startProvider(
  paths: RunPaths,
  baseEnv: NodeJS.ProcessEnv,
  s: ProviderSettings,
  signal: AbortSignal,
  onLog: (entry: LogEntry) => void,
): Promise<StartedProvider> {
  const dataDir = join(paths.dir, 'provider')
  const env: NodeJS.ProcessEnv = {
    ...baseEnv,
    GOLEM_PROVIDER_HOST: '127.0.0.1',
    GOLEM_PROVIDER_PORT: String(s.apiPort),
    GOLEM_PROVIDER_DATA_DIR: dataDir,
    GOLEM_PROVIDER_LOG_FORMAT: 'json',
    GOLEM_PROVIDER_BACKEND: s.backend,
    GOLEM_PROVIDER_PUBLIC_IP: '127.0.0.1',
    GOLEM_PROVIDER_SKIP_PORT_VERIFICATION: 'false',
    GOLEM_PROVIDER_PORT_CHECK_SERVERS: s.checkerUrl,
    GOLEM_PROVIDER_PORT_RANGE_START: String(s.sshRange.start),
    GOLEM_PROVIDER_PORT_RANGE_END: String(s.sshRange.end),
    GOLEM_PROVIDER_DISCOVERY_URL: s.discoveryUrl,
    GOLEM_PROVIDER_ADVERTISEMENT_INTERVAL: '30',
    GOLEM_PROVIDER_OFFER_CPU_CORES: String(s.offer.cpu),
    GOLEM_PROVIDER_OFFER_MEMORY_GB: String(s.offer.memory),
    GOLEM_PROVIDER_OFFER_STORAGE_GB: String(s.offer.storage),
    GOLEM_PROVIDER_PROVIDER_NAME: 'local-network',
    GOLEM_PROVIDER_RATE_LIMIT_PER_MINUTE: '6000',
    GOLEM_PROVIDER_ALLOW_UNSIGNED_REQUESTS: 'false',
    GOLEM_PROVIDER_CREATE_TIMEOUT: baseEnv.GOLEM_PROVIDER_CREATE_TIMEOUT ?? '300',
    ...(s.backend === 'qemu'
      ? {
          GOLEM_PROVIDER_QEMU_ACCEL: baseEnv.GOLEM_PROVIDER_QEMU_ACCEL ?? 'auto',
          ...(s.catalog === undefined ? {} : { GOLEM_PROVIDER_IMAGE_CATALOG: s.catalog }),
        }
      : {}),
  }
  const service = new Service('provider', [join(paths.repoRoot, BINS.provider), 'start'], { env, cwd: paths.dir, logFile: join(paths.logs, 'provider.log') })
  service.onLog(onLog)
  let id: string | undefined
  service.onLog((entry) => {
    if (entry.msg === 'provider identity' && typeof entry.providerId === 'string') id = entry.providerId
  })
  // The QEMU accelerator probe and the port verification both run before it accepts requests.
  const ready = await service
    .waitForLog((entry) => entry.msg === 'provider accepting VM requests', '"provider accepting VM requests"', 120_000, signal)
    .catch(stopAndThrow(service, 30_000))
  if (id === undefined) return stopAndThrow(service, 30_000)(new Error(`the provider logged no "provider identity" line:\n${service.describeTail()}`))
  const url = String(ready.address)
  return { service, url, port: Number(new URL(url).port), id, dataDir, adminTokenFile: join(dataDir, 'admin-token') }
}
