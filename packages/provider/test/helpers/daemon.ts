/**
 * Runs the real provider daemon as a child process for integration tests,
 * on 127.0.0.1 with a throw-away data dir, and always reaps it.
 *
 * @module
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { TestContext } from 'node:test'

/** How long a start may take: a QEMU provider probes its accelerator and sets up its VM network, slow on a loaded machine. */
const START_LIMIT_MS = 90_000
export const REPO_ROOT = new URL('../../../../../', import.meta.url).pathname
export const PROVIDER_BIN = join(REPO_ROOT, 'packages/provider/bin/golem-provider.js')

export interface DaemonOptions {
  readonly env: Record<string, string>
  /** Log lines matching this resolve `started` (default: the "accepting" line). */
  readonly readyMessage?: string
  readonly timeoutMs?: number
  /** A command the daemon runs under (e.g. `prlimit --nofile=…`); it must exec the daemon in its own process. */
  readonly launcher?: readonly string[]
}

export interface Daemon {
  readonly process: ChildProcess
  readonly baseUrl: string
  readonly logs: Record<string, unknown>[]
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>
}

/** A temp dir removed after the test. */
export function tempDir(t: TestContext, prefix = 'golem-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode)
    else child.once('exit', (code) => resolve(code))
  })

/** Starts the daemon and resolves once it accepts requests; rejects with its log if it exits or times out. */
export async function startDaemon(t: TestContext, opts: DaemonOptions): Promise<Daemon> {
  const [launcher, ...launcherArgs] = opts.launcher ?? []
  const command = launcher ?? process.execPath
  const args = [...launcherArgs, ...(launcher === undefined ? [] : [process.execPath]), PROVIDER_BIN, 'start']
  const child = spawn(command, args, {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      GOLEM_PROVIDER_HOST: '127.0.0.1',
      GOLEM_PROVIDER_PORT: '0',
      GOLEM_PROVIDER_LOG_FORMAT: 'json',
      GOLEM_PROVIDER_PUBLIC_IP: '127.0.0.1',
      GOLEM_PROVIDER_ENV_FILE: '/nonexistent',
      GOLEM_PROVIDER_DISCOVERY_URL: 'http://127.0.0.1:9',
      GOLEM_PROVIDER_SKIP_PORT_VERIFICATION: 'true',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited(child)
    }
  })
  const logs: Record<string, unknown>[] = []
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const ready = opts.readyMessage ?? 'provider accepting VM requests'
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`daemon not ready in time; stderr: ${stderr}`)), opts.timeoutMs ?? START_LIMIT_MS)
    createInterface({ input: child.stdout }).on('line', (line) => {
      let entry: Record<string, unknown>
      try {
        entry = JSON.parse(line) as Record<string, unknown>
      } catch {
        return
      }
      logs.push(entry)
      if (entry.msg === ready) {
        clearTimeout(timer)
        resolve(String(entry.address))
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`daemon exited with ${code}; stderr: ${stderr}; last log: ${JSON.stringify(logs.slice(-3))}`))
    })
  })
  return {
    process: child,
    baseUrl,
    logs,
    stop: async () => {
      child.kill('SIGTERM')
      return exited(child)
    },
    kill: async () => {
      child.kill('SIGKILL')
      await exited(child)
    },
  }
}

import { freePortRange } from '@golem-vm/common'
import { httpRequest } from '@golem-vm/common/http-request'

export { freePortRange, isListening } from '@golem-vm/common'

/**
 * A JSON request that may wait for a whole guest boot (create, start) under a
 * loaded machine: one deadline of `timeoutMs`, none of fetch's own 300 s limits.
 */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the type is the caller's claim about the response
export async function bootRequest<T>(base: string, method: string, path: string, body: unknown, timeoutMs: number): Promise<{ status: number; body: T }> {
  const answer = await httpRequest({
    method,
    baseUrl: base,
    path,
    timeoutMs,
    ...(body === undefined ? {} : { body: Buffer.from(JSON.stringify(body)), headers: { 'content-type': 'application/json' } }),
  })
  return { status: answer.status, body: JSON.parse(answer.body) as T }
}

/** JSON request to the daemon; the caller states the body type it expects. */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the type is the caller's claim about the response
export async function api<T = unknown>(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const init: RequestInit = { method, signal: AbortSignal.timeout(120_000) }
  if (body !== undefined) {
    init.body = JSON.stringify(body)
    init.headers = { 'content-type': 'application/json' }
  }
  const res = await fetch(`${base}${path}`, init)
  return { status: res.status, body: (await res.json()) as T }
}

export const FAKE_MULTIPASS_DIR = join(REPO_ROOT, 'packages/provider/test/fixtures/multipass')

/**
 * Settings of a daemon on the fake `multipass` with its state and data in
 * `dir`, `ports` free SSH ports and unsigned requests allowed; the fake's VMs
 * (and their sshd) are removed after the test.
 */
export async function fakeMultipassEnv(t: TestContext, dir: string, ports: number): Promise<Record<string, string>> {
  const fakeState = join(dir, 'fake')
  t.after(() => {
    execFileSync(join(FAKE_MULTIPASS_DIR, 'multipass'), ['--fake-reset'], { env: { ...process.env, FAKE_MULTIPASS_STATE: fakeState } })
  })
  const range = await freePortRange(ports)
  return {
    PATH: `${FAKE_MULTIPASS_DIR}:${process.env.PATH ?? ''}`,
    FAKE_MULTIPASS_STATE: fakeState,
    GOLEM_PROVIDER_DATA_DIR: join(dir, 'data'),
    GOLEM_PROVIDER_BACKEND: 'multipass',
    GOLEM_PROVIDER_MULTIPASS_NETWORK: '127.0.0.0/8',
    GOLEM_PROVIDER_ALLOW_UNSIGNED_REQUESTS: 'true',
    GOLEM_PROVIDER_PORT_RANGE_START: String(range.start),
    GOLEM_PROVIDER_PORT_RANGE_END: String(range.end),
  }
}
