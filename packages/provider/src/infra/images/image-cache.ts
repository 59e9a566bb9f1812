/**
 * Base images for the QEMU driver, verified by SHA-256 before any VM uses
 * them. An image from a URL is downloaded once into `<dataDir>/images/`
 * (named by its checksum, made read-only) and reused; a local image (a path
 * in the operator's catalogue) is verified where it is. A verification is
 * remembered by path, size and modification time in `verified.json`, so a
 * large image is hashed again only when it changed. A mismatch is a clear
 * error: a download is discarded, a local file is left for the operator.
 *
 * @module
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { Logger } from 'pino'
import type { QemuImageSource } from '../../domain/images.js'
import { downloadTo } from './image-download.js'

export interface ImageCacheOptions {
  /** Where downloads and `verified.json` live (`<dataDir>/images`). */
  readonly dir: string
  readonly logger: Logger
  /** Abort a download when no byte arrives for this long (default 60 s). */
  readonly stallTimeoutMs?: number
  readonly fetch?: typeof fetch
}

interface Verified {
  readonly size: number
  readonly mtimeMs: number
  readonly sha256: string
}

/** SHA-256 of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256')
  await pipeline(createReadStream(path), hash)
  return hash.digest('hex')
}

/** A base image that cannot be had: unreadable, not downloadable, or not what its checksum says. */
export class ImageError extends Error {
  override readonly name = 'ImageError'
}

const failed = (message: string, cause?: unknown) => new ImageError(message, { cause })

export class ImageCache {
  readonly #o: ImageCacheOptions
  readonly #downloads = new Map<string, Promise<string>>()
  #verified: Promise<Map<string, Verified>> | undefined
  #saving: Promise<void> = Promise.resolve()

  constructor(opts: ImageCacheOptions) {
    this.#o = opts
  }

  /**
   * The local path of the verified base image for catalogue entry `name`.
   * Rejects with BACKEND_FAILED on a checksum mismatch, a missing file or a
   * failed download. A download goes on if the caller aborts (a retry joins
   * it); only the caller stops waiting.
   */
  async ensure(name: string, source: QemuImageSource, signal: AbortSignal): Promise<string> {
    signal.throwIfAborted()
    const work = source.path !== undefined ? this.#verifyLocal(name, source.path, source.sha256) : this.#cached(name, source)
    return Promise.race([work, aborted(signal)])
  }

  async #verifyLocal(name: string, path: string, expected: string): Promise<string> {
    const actual = await this.#checksum(path).catch((error: unknown) => {
      throw failed(`image "${name}": cannot read the base image ${path}: ${(error as Error).message}`, error)
    })
    if (actual !== expected) {
      throw failed(
        `image "${name}": checksum mismatch for ${path}: the catalogue says sha256 ${expected}, the file has ${actual}; the image is corrupt or the catalogue entry is wrong`,
      )
    }
    return path
  }

  // A downloaded image: reuse it when it still verifies, else (re)download it.
  async #cached(name: string, source: QemuImageSource): Promise<string> {
    const path = join(this.#o.dir, `${source.sha256}.${source.format}`)
    if (await exists(path)) {
      if ((await this.#checksum(path)) === source.sha256) return path
      this.#o.logger.warn({ image: name, path }, 'cached image no longer matches its checksum; downloading it again')
      await rm(path, { force: true })
    }
    let download = this.#downloads.get(source.sha256)
    if (download === undefined) {
      download = this.#download(name, source, path).finally(() => this.#downloads.delete(source.sha256))
      this.#downloads.set(source.sha256, download)
    }
    return download
  }

  async #download(name: string, source: QemuImageSource, path: string): Promise<string> {
    const urls = [source.url, ...(source.mirrors ?? [])].filter((u): u is string => u !== undefined)
    if (urls.length === 0) throw failed(`image "${name}" has neither a url nor a path in the catalogue`)
    await mkdir(this.#o.dir, { recursive: true, mode: 0o700 })
    const problems: string[] = []
    for (const url of urls) {
      const log = this.#o.logger.child({ image: name })
      const part = `${path}.part`
      try {
        const got = await downloadTo(url, part, { logger: log, stallTimeoutMs: this.#o.stallTimeoutMs ?? 60_000, fetch: this.#o.fetch })
        if (got.sha256 !== source.sha256) {
          await rm(part, { force: true })
          problems.push(`${url}: checksum mismatch (expected sha256 ${source.sha256}, got ${got.sha256}); the download was discarded`)
          continue
        }
        await chmod(part, 0o444)
        await rename(part, path)
        await this.#remember(path)
        log.info({ url, sizeMb: Math.round(got.bytes / 1024 / 1024), durationMs: Math.round(got.durationMs) }, 'image downloaded and verified')
        return path
      } catch (error) {
        problems.push(`${url}: ${(error as Error).message}`)
      }
    }
    throw failed(`image "${name}" could not be downloaded: ${problems.join('; ')}`)
  }

  // The file's checksum, from the verification record when size and mtime still match.
  async #checksum(path: string): Promise<string> {
    const s = await stat(path)
    const known = (await this.#records()).get(path)
    if (known !== undefined && known.size === s.size && known.mtimeMs === s.mtimeMs) return known.sha256
    const started = performance.now()
    const sha256 = await sha256File(path)
    this.#o.logger.info({ path, sizeMb: Math.round(s.size / 1024 / 1024), durationMs: Math.round(performance.now() - started) }, 'image checksum computed')
    await this.#remember(path, sha256, s)
    return sha256
  }

  async #remember(path: string, sha256?: string, known?: { size: number; mtimeMs: number }): Promise<void> {
    const s = known ?? (await stat(path))
    const records = await this.#records()
    records.set(path, { size: s.size, mtimeMs: s.mtimeMs, sha256: sha256 ?? (await sha256File(path)) })
    this.#saving = this.#saving.then(
      () => this.#save(records),
      () => this.#save(records),
    )
    await this.#saving
  }

  #records(): Promise<Map<string, Verified>> {
    this.#verified ??= readFile(join(this.#o.dir, 'verified.json'), 'utf8').then(
      (text) => new Map(Object.entries(JSON.parse(text) as Record<string, Verified>)),
      () => new Map<string, Verified>(),
    )
    return this.#verified
  }

  async #save(records: Map<string, Verified>): Promise<void> {
    await mkdir(this.#o.dir, { recursive: true, mode: 0o700 })
    const file = join(this.#o.dir, 'verified.json')
    await writeFile(`${file}.tmp`, JSON.stringify(Object.fromEntries(records), null, 1), { mode: 0o600 })
    await rename(`${file}.tmp`, file)
  }
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  )

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'))
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, { once: true })
  })
}
