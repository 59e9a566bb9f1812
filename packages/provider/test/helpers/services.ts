/**
 * The other programs of the network as real child processes for tests: the
 * discovery service and the port-check server, on 127.0.0.1, reaped after the test.
 * Both log one JSON line with `"event":"listening"` and the bound `port`.
 *
 * @module
 */
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { TestContext } from 'node:test'
import { REPO_ROOT } from './daemon.js'

export interface Service {
  readonly url: string
  readonly port: number
  readonly process: ChildProcess
  stop(): Promise<void>
}

const BINS = {
  discovery: join(REPO_ROOT, 'packages/discovery/bin/golem-discovery.js'),
  portChecker: join(REPO_ROOT, 'packages/port-checker/bin/golem-port-checker.js'),
}

/** The discovery service with its data in `dataDir`; `port` 0 lets the system choose. */
export function startDiscovery(t: TestContext, dataDir: string, port = 0, env: Record<string, string> = {}): Promise<Service> {
  return startService(t, BINS.discovery, {
    GOLEM_DISCOVERY_HOST: '127.0.0.1',
    GOLEM_DISCOVERY_PORT: String(port),
    GOLEM_DISCOVERY_DATA_DIR: dataDir,
    GOLEM_DISCOVERY_RATE_LIMIT_PER_MINUTE: '0',
    GOLEM_DISCOVERY_LOG_FORMAT: 'json',
    GOLEM_DISCOVERY_ENVIRONMENT: 'development',
    // Providers here advertise fake public addresses (198.51.100.7) from 127.0.0.1.
    GOLEM_DISCOVERY_ADDRESS_CHECK: 'off',
    ...env,
  })
}

/** The port-check server; requests from 127.0.0.1 about 127.0.0.1 are the caller's own address. */
export function startPortChecker(t: TestContext, env: Record<string, string> = {}): Promise<Service> {
  return startService(t, BINS.portChecker, { PORT_CHECKER_HOST: '127.0.0.1', PORT_CHECKER_PORT: '0', PORT_CHECKER_RATE_LIMIT_PER_MINUTE: '10000', ...env })
}

async function startService(t: TestContext, bin: string, env: Record<string, string>): Promise<Service> {
  assert.ok(existsSync(join(bin, '../../dist/src/main.js')), `${bin} is not built: run \`npx tsc -b\``)
  const child = spawn(process.execPath, [bin], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const stop = () => stopChild(child)
  t.after(stop)
  const port = await listeningPort(child)
  return { url: `http://127.0.0.1:${port}`, port, process: child, stop }
}

function listeningPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const output: string[] = []
    const timer = setTimeout(() => reject(new Error(`no "listening" line within 30 s:\n${output.join('\n')}`)), 30_000)
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()))
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output.push(line)
      let parsed: { event?: string; port?: number } = {}
      try {
        parsed = JSON.parse(line) as typeof parsed
      } catch {
        return
      }
      if (parsed.event === 'listening' && typeof parsed.port === 'number') {
        clearTimeout(timer)
        resolve(parsed.port)
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`exited (${code}) before listening:\n${output.join('\n')}`))
    })
  })
}

/** SIGTERM, then SIGKILL after 5 s; resolves once the process is gone. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await gone
  clearTimeout(timer)
}
