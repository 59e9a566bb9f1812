/**
 * The whole network on 127.0.0.1 as real processes, for the end-to-end
 * tests: the discovery service, a provider daemon with the fake `multipass`
 * (a real sshd per VM), and the `golem-vm` CLI. Everything started here is
 * stopped, and every fake VM reset, when the test ends.
 *
 * @module
 */
import { freePortRange } from '@golem-vm/common'
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'

/** The repository root (from the compiled test's location). */
export const REPO_ROOT = new URL('../../../../../', import.meta.url).pathname
const DISCOVERY_BIN = join(REPO_ROOT, 'packages/discovery/bin/golem-discovery.js')
const PROVIDER_BIN = join(REPO_ROOT, 'packages/provider/bin/golem-provider.js')
const PORT_CHECKER_BIN = join(REPO_ROOT, 'packages/port-checker/bin/golem-port-checker.js')
/** The `golem-vm` executable. */
export const CLI_BIN = join(REPO_ROOT, 'packages/requestor/bin/golem-vm.js')
/** The provider's fake `multipass`. */
export const FAKE_MULTIPASS_DIR = join(REPO_ROOT, 'packages/provider/test/fixtures/multipass')

type LogLine = Record<string, unknown>

/** A temp dir removed when the test ends. */
export function tempDir(t: TestContext, prefix = 'golem-vm-e2e-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

// The parent's environment without any GOLEM_* setting, so each process sees only its own.
const cleanEnv = (): Record<string, string> =>
  Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && !e[0].startsWith('GOLEM_')))

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()))

/** Spawns a daemon logging JSON lines and resolves with the first line matching `ready`; SIGTERM (then SIGKILL) at the end. */
async function startDaemon(
  t: TestContext,
  args: string[],
  env: Record<string, string>,
  ready: (line: LogLine) => boolean,
): Promise<{ line: LogLine; logs: LogLine[] }> {
  const child = spawn(process.execPath, args, { env: { ...cleanEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  t.after(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000)
    await exited(child)
    clearTimeout(kill)
  })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const logs: LogLine[] = []
  const line = await new Promise<LogLine>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args[0] ?? ''} not ready in 30 s; stderr: ${stderr}; logs: ${JSON.stringify(logs.slice(-5))}`)), 30_000)
    createInterface({ input: child.stdout }).on('line', (text) => {
      let entry: LogLine
      try {
        entry = JSON.parse(text) as LogLine
      } catch {
        return
      }
      logs.push(entry)
      if (ready(entry)) {
        clearTimeout(timer)
        resolve(entry)
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${args[0] ?? ''} exited with ${code}; stderr: ${stderr}; logs: ${JSON.stringify(logs.slice(-5))}`))
    })
  })
  return { line, logs }
}

/** Starts the discovery service; resolves with its URL. */
export async function startDiscovery(t: TestContext): Promise<string> {
  const { line } = await startDaemon(
    t,
    [DISCOVERY_BIN],
    {
      GOLEM_DISCOVERY_HOST: '127.0.0.1',
      GOLEM_DISCOVERY_PORT: '0',
      GOLEM_DISCOVERY_DATA_DIR: tempDir(t),
      GOLEM_DISCOVERY_LOG_FORMAT: 'json',
      GOLEM_DISCOVERY_ENVIRONMENT: 'development', // the providers advertise 127.0.0.1
    },
    (l) => l.event === 'listening',
  )
  return String(line.address)
}

/** Starts the port checker; resolves with its URL. It checks the caller's own address (127.0.0.1 here). */
export async function startPortChecker(t: TestContext): Promise<string> {
  const { line } = await startDaemon(
    t,
    [PORT_CHECKER_BIN],
    {
      PORT_CHECKER_HOST: '127.0.0.1',
      PORT_CHECKER_PORT: '0',
      PORT_CHECKER_RATE_LIMIT_PER_MINUTE: '1000',
    },
    (l) => l.event === 'listening',
  )
  return String(line.url)
}

/** A running provider: its API URL and id (the address of its key). */
export interface ProviderProcess {
  readonly apiUrl: string
  readonly providerId: string
}

/**
 * Starts a provider with the fake multipass, advertising to `discoveryUrl` as
 * 127.0.0.1; its SSH ports are verified by the port checker at `portCheckerUrl`.
 */
export async function startProvider(
  t: TestContext,
  discoveryUrl: string,
  portCheckerUrl: string,
  extraEnv: Readonly<Record<string, string>> = {},
): Promise<ProviderProcess> {
  const dir = tempDir(t)
  const fakeState = join(dir, 'fake')
  t.after(() => {
    execFileSync(join(FAKE_MULTIPASS_DIR, 'multipass'), ['--fake-reset'], { env: { ...process.env, FAKE_MULTIPASS_STATE: fakeState } })
  })
  const range = await freePortRange(4)
  const { line, logs } = await startDaemon(
    t,
    [PROVIDER_BIN, 'start'],
    {
      PATH: `${FAKE_MULTIPASS_DIR}:${process.env.PATH ?? ''}`,
      HOME: process.env.HOME ?? '/root',
      FAKE_MULTIPASS_STATE: fakeState,
      GOLEM_PROVIDER_HOST: '127.0.0.1',
      GOLEM_PROVIDER_PORT: '0',
      GOLEM_PROVIDER_PUBLIC_IP: '127.0.0.1',
      GOLEM_PROVIDER_LOG_FORMAT: 'json',
      GOLEM_PROVIDER_ENV_FILE: '/nonexistent',
      GOLEM_PROVIDER_DATA_DIR: join(dir, 'data'),
      GOLEM_PROVIDER_BACKEND: 'multipass',
      GOLEM_PROVIDER_MULTIPASS_NETWORK: '127.0.0.0/8',
      GOLEM_PROVIDER_SKIP_PORT_VERIFICATION: 'false',
      GOLEM_PROVIDER_PORT_CHECK_SERVERS: portCheckerUrl,
      GOLEM_PROVIDER_PORT_RANGE_START: String(range.start),
      GOLEM_PROVIDER_PORT_RANGE_END: String(range.end),
      GOLEM_PROVIDER_OFFER_CPU_CORES: '4',
      GOLEM_PROVIDER_OFFER_MEMORY_GB: '8',
      GOLEM_PROVIDER_OFFER_STORAGE_GB: '40', // within the free disk of a small CI machine (the offer is refused above 90% of it)
      GOLEM_PROVIDER_DISCOVERY_URL: discoveryUrl,
      GOLEM_PROVIDER_ADVERTISEMENT_INTERVAL: '10',
      ...extraEnv,
    },
    (l) => l.msg === 'provider accepting VM requests',
  )
  const identity = logs.find((l) => l.msg === 'provider identity')
  return { apiUrl: String(line.address), providerId: String(identity?.providerId) }
}

/** What a CLI run printed and how it ended. */
export interface CliResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Who runs the CLI: a data dir, a discovery service, and the environment (development unless said: test networks are on 127.0.0.1). */
export interface CliEnv {
  readonly dataDir: string
  readonly discoveryUrl: string
  readonly environment?: 'production' | 'development'
  /** More environment variables (e.g. PATH with a fake ssh first). */
  readonly extra?: Readonly<Record<string, string>>
}

/** Runs `golem-vm args…` as a real process with its own data dir and discovery URL. */
export function cli(args: readonly string[], env: CliEnv, timeoutMs = 120_000): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI_BIN, ...args],
      {
        env: {
          ...cleanEnv(),
          GOLEM_REQUESTOR_DATA_DIR: env.dataDir,
          GOLEM_REQUESTOR_DISCOVERY_URL: env.discoveryUrl,
          GOLEM_REQUESTOR_ENVIRONMENT: env.environment ?? 'development',
          ...env.extra,
        },
        timeout: timeoutMs,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1
        resolve({ code, stdout, stderr })
      },
    )
  })
}

/** The JSON a `--json` run printed. */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the type is the test's claim about the output
export const json = <T>(result: CliResult): T => JSON.parse(result.stdout) as T

/** Polls `check` every 250 ms until it returns a value, at most `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (let attempt = 0; attempt < 10_000 && Date.now() < deadline; attempt++) {
    const value = await check()
    if (value !== undefined) return value
    await sleep(250)
  }
  throw new Error(`timed out waiting for ${what}`)
}
