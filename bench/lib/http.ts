/**
 * Minimal JSON over HTTP for the benchmarks (node:http, so connection reuse
 * and pool size are explicit), with each request's duration.
 *
 * @module
 */
import { Agent, request } from 'node:http'

export interface Answer<T> {
  readonly status: number
  readonly body: T
  readonly ms: number
}

/** One pool for orchestration calls; load generators bring their own. */
export const sharedAgent = new Agent({ keepAlive: true, maxSockets: 64 })

/** A JSON request; resolves with status 0 on a network error (the benchmark counts it). */
export function httpJson<T = unknown>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  opts: { agent?: Agent | false; timeoutMs?: number } = {},
): Promise<Answer<T> & { error?: string }> {
  const started = performance.now()
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body))
  return new Promise((resolve) => {
    let settled = false
    const done = (value: Answer<T> & { error?: string }) => {
      if (settled) return
      settled = true
      resolve(value)
    }
    const req = request(
      `${base}${path}`,
      {
        method,
        agent: opts.agent ?? sharedAgent,
        timeout: opts.timeoutMs ?? 120_000,
        headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': payload.length },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', (error) => done({ status: 0, body: undefined as T, ms: performance.now() - started, error: error.message }))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          let parsed: unknown = text
          try {
            parsed = JSON.parse(text)
          } catch {
            // not JSON: keep the text
          }
          done({ status: res.statusCode ?? 0, body: parsed as T, ms: performance.now() - started })
        })
      },
    )
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', (error) => done({ status: 0, body: undefined as T, ms: performance.now() - started, error: error.message }))
    req.end(payload)
  })
}
