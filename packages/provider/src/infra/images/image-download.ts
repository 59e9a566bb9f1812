/**
 * Downloads one file over HTTP(S) into a `.part` file while hashing it,
 * with a bounded progress display (a log line at each tenth, or every 10 s
 * when the size is unknown) and a stall timeout.
 *
 * @module
 */
import { createHash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { rm } from 'node:fs/promises'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Logger } from 'pino'

export interface DownloadOptions {
  readonly logger: Logger
  /** Abort when no byte arrives for this long. */
  readonly stallTimeoutMs: number
  readonly fetch?: typeof fetch
}

export interface Downloaded {
  readonly sha256: string
  readonly bytes: number
  readonly durationMs: number
}

const MB = 1024 * 1024

// Logs progress: at each tenth of a known size, else at most every 10 s.
function progressLogger(log: Logger, total: number | undefined): (received: number) => void {
  let nextTenth = 1
  let lastLog = performance.now()
  return (received) => {
    if (total !== undefined && total > 0) {
      const tenth = Math.floor((received / total) * 10)
      if (tenth < nextTenth) return
      nextTenth = tenth + 1
      log.info({ percent: Math.min(100, tenth * 10), receivedMb: Math.round(received / MB), totalMb: Math.round(total / MB) }, 'image download progress')
    } else if (performance.now() - lastLog >= 10_000) {
      lastLog = performance.now()
      log.info({ receivedMb: Math.round(received / MB) }, 'image download progress')
    }
  }
}

/**
 * Fetches `url` into `partPath` and returns its SHA-256. Rejects (and removes
 * the part file) on an HTTP error, a stall, or a write error.
 */
export async function downloadTo(url: string, partPath: string, opts: DownloadOptions): Promise<Downloaded> {
  const started = performance.now()
  const stall = new AbortController()
  let stallTimer = setTimeout(() => stall.abort(new Error(`no data for ${opts.stallTimeoutMs / 1000} s`)), opts.stallTimeoutMs)
  const touch = () => {
    clearTimeout(stallTimer)
    stallTimer = setTimeout(() => stall.abort(new Error(`no data for ${opts.stallTimeoutMs / 1000} s`)), opts.stallTimeoutMs)
  }
  try {
    const res = await (opts.fetch ?? fetch)(url, { signal: stall.signal, redirect: 'follow' })
    if (!res.ok || res.body === null) throw new Error(`HTTP ${res.status} ${res.statusText}`.trim())
    const length = Number(res.headers.get('content-length') ?? NaN)
    const total = Number.isFinite(length) ? length : undefined
    opts.logger.info({ url, totalMb: total === undefined ? null : Math.round(total / MB) }, 'image download started')
    const hash = createHash('sha256')
    const progress = progressLogger(opts.logger, total)
    let received = 0
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        touch()
        hash.update(chunk)
        received += chunk.length
        progress(received)
        done(null, chunk)
      },
    })
    await pipeline(Readable.fromWeb(res.body), meter, createWriteStream(partPath, { mode: 0o600 }), { signal: stall.signal })
    return { sha256: hash.digest('hex'), bytes: received, durationMs: performance.now() - started }
  } catch (error) {
    await rm(partPath, { force: true })
    const reason = stall.signal.aborted && stall.signal.reason instanceof Error ? stall.signal.reason.message : (error as Error).message
    throw new Error(reason, { cause: error })
  } finally {
    clearTimeout(stallTimer)
  }
}
