/**
 * HTTP load with wrk (C, so the load generator leaves the daemon as much of
 * the 2 cores as possible): requests/s and latency percentiles with
 * microsecond resolution, from a Lua `done` hook that prints JSON.
 *
 * @module
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runCommand } from './proc.js'

export interface LoadResult {
  readonly requests: number
  readonly seconds: number
  readonly rps: number
  readonly p50Ms: number
  readonly p90Ms: number
  readonly p99Ms: number
  readonly maxMs: number
  /** Connect, read, write and timeout errors plus non-2xx/3xx answers. */
  readonly errors: number
}

const LUA = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests":%d,"duration_us":%d,"errors":%d,"p50":%d,"p90":%d,"p99":%d,"max":%d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
`

/** Runs wrk against `url` with `connections` for `seconds`. */
export async function wrk(dir: string, url: string, opts: { connections: number; seconds: number; threads?: number }): Promise<LoadResult> {
  const script = join(dir, 'wrk-json.lua')
  writeFileSync(script, LUA)
  const res = await runCommand(
    'wrk',
    ['-t', String(opts.threads ?? 1), '-c', String(opts.connections), '-d', `${opts.seconds}s`, '--timeout', '10s', '-s', script, url],
    { timeoutMs: (opts.seconds + 20) * 1000 },
  )
  const line = res.stdout.split('\n').find((l) => l.startsWith('WRKJSON '))
  if (res.code !== 0 || line === undefined) throw new Error(`wrk failed (${res.code ?? 'killed'}): ${res.stderr.trim()} ${res.stdout.slice(-400)}`)
  const j = JSON.parse(line.slice('WRKJSON '.length)) as {
    requests: number
    duration_us: number
    errors: number
    p50: number
    p90: number
    p99: number
    max: number
  }
  const seconds = j.duration_us / 1e6
  return {
    requests: j.requests,
    seconds,
    rps: j.requests / seconds,
    p50Ms: j.p50 / 1000,
    p90Ms: j.p90 / 1000,
    p99Ms: j.p99 / 1000,
    maxMs: j.max / 1000,
    errors: j.errors,
  }
}
