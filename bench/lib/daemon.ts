/**
 * The real provider daemon as a process, with the fake `multipass` (a real
 * sshd per VM on 127.0.0.N:22) or QEMU as its backend, on 127.0.0.1 only.
 * Every daemon is killed and every fake VM removed (`multipass --fake-reset`)
 * when its benchmark's scope closes, and again at process exit if need be.
 *
 * @module
 */
import { execFileSync, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { startDiscoveryStub } from './bare-server.js'
import { freePort, freePortRange } from './ports.js'
import { httpJson } from './http.js'
import { onExit, runCommand, sleep, spawnTracked, stopChild, type CommandResult, type Scope } from './proc.js'
import { sshKeyPair, type KeyPair } from './ssh.js'

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
/** The daemon under test; BENCH_PROVIDER_BIN measures another build (e.g. a copy with a change, for before/after). */
export const PROVIDER_BIN = process.env.BENCH_PROVIDER_BIN ?? join(REPO_ROOT, 'packages/provider/bin/golem-provider.js')
export const FAKE_DIR = join(REPO_ROOT, 'packages/provider/test/fixtures/multipass')
export const FAKE_BIN = join(FAKE_DIR, 'multipass')
export { freePort, freePortRange } from './ports.js'

/** The smallest VM the API accepts (storage has a 10 GB minimum in the schema). */
export const SMALL_VM = { cpu: 1, memory: 1, storage: 10 } as const

/** A throw-away world: temp dir, data dir, fake multipass state, SSH key. */
export interface World {
  readonly dir: string
  readonly dataDir: string
  readonly fakeState: string
  readonly key: KeyPair
  /** Writes the fake's control.json (read at every fake invocation). */
  control(value: Record<string, unknown>): void
  /** Runs the fake CLI on this world's state (bounded). */
  fake(args: readonly string[], timeoutMs?: number, input?: string): Promise<CommandResult>
  /** The fake's record of an instance. */
  instance(name: string): { ip: string; sshdPid: number; state: string }
}

export function fakeEnv(fakeState: string): NodeJS.ProcessEnv {
  return { ...process.env, PATH: `${FAKE_DIR}:${process.env.PATH ?? ''}`, FAKE_MULTIPASS_STATE: fakeState }
}

/** Makes a world; its fake VMs are reset and its files removed when the scope closes (or the process exits). */
export async function createWorld(scope: Scope, prefix = 'golem-bench-'): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  const dataDir = join(dir, 'data')
  const fakeState = join(dir, 'fake')
  mkdirSync(fakeState, { recursive: true })
  const resetSync = () => {
    execFileSync(FAKE_BIN, ['--fake-reset'], { env: fakeEnv(fakeState), timeout: 60_000, stdio: 'ignore' })
    rmSync(dir, { recursive: true, force: true })
  }
  const removeHook = onExit(resetSync)
  scope.defer('fake reset and temp dir removal', async () => {
    removeHook()
    const reset = await runCommand(FAKE_BIN, ['--fake-reset'], { env: fakeEnv(fakeState), timeoutMs: 60_000 })
    if (reset.code !== 0) console.error(`bench: fake reset failed: ${reset.stderr}`)
    rmSync(dir, { recursive: true, force: true })
  })
  const key = await sshKeyPair(dir)
  return {
    dir,
    dataDir,
    fakeState,
    key,
    control: (value) => writeFileSync(join(fakeState, 'control.json'), JSON.stringify(value)),
    fake: (args, timeoutMs = 60_000, input) => runCommand(FAKE_BIN, args, { env: fakeEnv(fakeState), timeoutMs, input }),
    instance: (name) => JSON.parse(readFileSync(join(fakeState, 'instances', `${name}.json`), 'utf8')) as { ip: string; sshdPid: number; state: string },
  }
}

export interface DaemonOptions {
  /** Extra GOLEM_PROVIDER_* (or other) variables; override the defaults. */
  readonly env?: Record<string, string>
  readonly logLevel?: 'debug' | 'info' | 'warn'
  /** SSH ports in the range (default 40). */
  readonly ports?: number
  /** Node flags for the daemon (e.g. --cpu-prof). */
  readonly nodeArgs?: readonly string[]
  readonly readyTimeoutMs?: number
  /** How often /health is polled while waiting for the start (ms). */
  readonly pollMs?: number
  /**
   * Puts the data dir on a 4 TiB tmpfs in a private mount namespace (`unshare
   * --mount`), so that 16 VMs of the API's 10 GB storage minimum fit the
   * storage offer on a host with less free disk. The daemon keeps its pid.
   */
  readonly bigDisk?: boolean
  /** Another build's bin/golem-provider.js (before/after comparisons); default PROVIDER_BIN. */
  readonly bin?: string
  /** Every stdout line that is not JSON (e.g. --trace-gc output when profiling). */
  readonly onRawLine?: (line: string) => void
}

export interface Daemon {
  readonly child: ChildProcess
  readonly pid: number
  readonly baseUrl: string
  readonly portRange: { start: number; end: number }
  /** Process start to the first 200 of GET /health, ms. */
  readonly startupMs: number
  /** Date.now() when the process was started (log lines carry epoch ms in `time`). */
  readonly startedAt: number
  /** JSON log lines so far. */
  readonly logs: Record<string, unknown>[]
  /** Resolves with the first log line (already seen or future) matching, or rejects after timeoutMs. */
  waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs: number): Promise<Record<string, unknown>>
  /** SIGTERM, then SIGKILL after 10 s. */
  stop(): Promise<void>
}

/** The environment the benchmarks run the daemon with; see README's table. */
export function daemonEnv(
  world: World,
  apiPort: number,
  range: { start: number; end: number },
  opts: DaemonOptions & { discoveryUrl: string },
): Record<string, string> {
  return {
    PATH: `${FAKE_DIR}:${process.env.PATH ?? ''}`,
    HOME: process.env.HOME ?? '/root',
    FAKE_MULTIPASS_STATE: world.fakeState,
    GOLEM_PROVIDER_HOST: '127.0.0.1',
    GOLEM_PROVIDER_PORT: String(apiPort),
    GOLEM_PROVIDER_LOG_FORMAT: 'json',
    GOLEM_PROVIDER_LOG_LEVEL: opts.logLevel ?? 'warn',
    GOLEM_PROVIDER_PUBLIC_IP: '127.0.0.1',
    GOLEM_PROVIDER_ENV_FILE: '/nonexistent',
    GOLEM_PROVIDER_DATA_DIR: world.dataDir,
    GOLEM_PROVIDER_BACKEND: 'multipass',
    // The fake's VMs listen on 127.0.0.N: its VM network is the loopback one.
    GOLEM_PROVIDER_MULTIPASS_NETWORK: '127.0.0.0/8',
    GOLEM_PROVIDER_ALLOW_UNSIGNED_REQUESTS: 'true',
    GOLEM_PROVIDER_SKIP_PORT_VERIFICATION: 'true',
    GOLEM_PROVIDER_PORT_RANGE_START: String(range.start),
    GOLEM_PROVIDER_PORT_RANGE_END: String(range.end),
    GOLEM_PROVIDER_OFFER_CPU_CORES: '16',
    GOLEM_PROVIDER_CPU_OVERCOMMIT: '8',
    GOLEM_PROVIDER_OFFER_MEMORY_GB: '16',
    GOLEM_PROVIDER_OFFER_STORAGE_GB: opts.bigDisk === true ? '400' : '60',
    GOLEM_PROVIDER_MAX_VMS: '16',
    GOLEM_PROVIDER_RATE_LIMIT_PER_MINUTE: '1000000',
    GOLEM_PROVIDER_DISCOVERY_URL: opts.discoveryUrl,
    ...opts.env,
  }
}

/** Starts the daemon and resolves once GET /health answers 200; the scope stops it. */
export async function startDaemon(scope: Scope, world: World, opts: DaemonOptions = {}): Promise<Daemon> {
  const apiPort = await freePort()
  const portRange = await freePortRange(opts.ports ?? 40)
  const env = daemonEnv(world, apiPort, portRange, { ...opts, discoveryUrl: await startDiscoveryStub(scope) })
  const started = performance.now()
  const startedAt = Date.now()
  const bin = opts.bin ?? PROVIDER_BIN
  const argv = [process.execPath, ...binNodeFlags(bin), ...(opts.nodeArgs ?? []), bin, 'start']
  const [command, ...args] =
    opts.bigDisk === true
      ? [
          'unshare',
          '--mount',
          '--propagation',
          'private',
          'sh',
          '-c',
          'mkdir -p "$GOLEM_PROVIDER_DATA_DIR" && mount -t tmpfs -o size=4T,mode=0700 golem-bench "$GOLEM_PROVIDER_DATA_DIR" && exec "$@"',
          'sh',
          ...argv,
        ]
      : argv
  const child = spawnTracked(command ?? process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: world.dir })
  let stopping = false
  scope.defer('stop the daemon', () => {
    stopping = true
    return stopChild(child, 10_000)
  })
  child.once('exit', (code, signal) => {
    if (!stopping && signal !== null) console.error(`bench: the daemon (pid ${child.pid ?? '?'}) was killed by ${signal}, not by this benchmark`)
  })
  const logs: Record<string, unknown>[] = []
  const watchers = new Set<{ match: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }>()
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000)
  })
  if (child.stdout !== null) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      let entry: Record<string, unknown>
      try {
        entry = JSON.parse(line) as Record<string, unknown>
      } catch {
        opts.onRawLine?.(line)
        return
      }
      logs.push(entry)
      for (const w of watchers) {
        if (w.match(entry)) {
          watchers.delete(w)
          w.resolve(entry)
        }
      }
    })
  }
  const baseUrl = `http://127.0.0.1:${apiPort}`
  const deadline = performance.now() + (opts.readyTimeoutMs ?? 30_000)
  let startupMs = Number.NaN
  while (Number.isNaN(startupMs)) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const how = child.signalCode === null ? `exited with ${child.exitCode ?? '?'}` : `was killed by ${child.signalCode}, not sent by this benchmark`
      throw new Error(`the daemon ${how} before answering; stderr: ${stderr.trim()}; last log: ${JSON.stringify(logs.slice(-3))}`)
    }
    if (performance.now() > deadline)
      throw new Error(`the daemon did not answer GET /health within ${opts.readyTimeoutMs ?? 30_000} ms; stderr: ${stderr.trim()}`)
    const health = await httpJson(baseUrl, 'GET', '/health', undefined, { agent: false, timeoutMs: 2000 })
    if (health.status === 200) startupMs = performance.now() - started
    else await sleep(opts.pollMs ?? 5)
  }
  if (child.pid === undefined) throw new Error('the daemon has no pid')
  return {
    child,
    pid: child.pid,
    baseUrl,
    portRange,
    startupMs,
    startedAt,
    logs,
    waitForLog: (match, timeoutMs) => {
      const seen = logs.find(match)
      if (seen !== undefined) return Promise.resolve(seen)
      return new Promise((resolve, reject) => {
        const watcher = {
          match,
          resolve: (l: Record<string, unknown>) => {
            clearTimeout(timer)
            resolve(l)
          },
        }
        const timer = setTimeout(() => {
          watchers.delete(watcher)
          reject(new Error(`no matching log line within ${timeoutMs} ms`))
        }, timeoutMs)
        watchers.add(watcher)
      })
    },
    stop: () => {
      stopping = true
      return stopChild(child, 10_000)
    },
  }
}

export interface VmView {
  readonly id: string
  readonly status: string
  readonly ssh_port: number
  readonly ip_address: string | null
}

/** Creates a VM (unsigned request) and fails loudly unless it answers 201. */
export async function createVm(daemon: Daemon, world: World, name: string): Promise<VmView & { ms: number }> {
  const res = await httpJson<VmView>(daemon.baseUrl, 'POST', '/api/v1/vms', { name, ssh_key: world.key.publicKey, resources: SMALL_VM }, { agent: false })
  if (res.status !== 201) throw new Error(`create ${name}: ${res.status} ${JSON.stringify(res.body)} ${res.error ?? ''}`)
  return { ...res.body, ms: res.ms }
}

/** The fake's instance name of a VM: the record's `multipass_name` from GET …/access. */
export async function instanceOf(daemon: Daemon, id: string): Promise<string> {
  const res = await httpJson<{ multipass_name: string }>(daemon.baseUrl, 'GET', `/api/v1/vms/${id}/access`)
  if (res.status !== 200) throw new Error(`access ${id}: ${res.status}`)
  return res.body.multipass_name
}

/** The Node flags of a bin's `#!/usr/bin/env -S node …` line: the daemon runs as `npm start` runs it. */
export function binNodeFlags(bin: string): string[] {
  const shebang = readFileSync(bin, 'utf8').split('\n', 1)[0] ?? ''
  return /^#!\/usr\/bin\/env -S node\s+(.+)$/.exec(shebang)?.[1]?.trim().split(/\s+/) ?? []
}
