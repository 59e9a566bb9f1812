import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import pino from 'pino'
import type { QemuImageSource } from '../../domain/images.js'
import { ImageCache, ImageError } from './image-cache.js'

const IMAGE = Buffer.alloc(3 * 1024 * 1024 + 17, 7)
const SHA = createHash('sha256').update(IMAGE).digest('hex')
const WRONG = '0'.repeat(64)

interface Server {
  readonly base: string
  readonly hits: Map<string, number>
}

// Serves IMAGE at /ok.img, 404 elsewhere; /stall sends headers and then nothing.
async function server(t: TestContext): Promise<Server> {
  const hits = new Map<string, number>()
  const srv = http.createServer((req, res) => {
    hits.set(req.url ?? '', (hits.get(req.url ?? '') ?? 0) + 1)
    if (req.url === '/ok.img') {
      res.writeHead(200, { 'content-length': IMAGE.length })
      res.end(IMAGE)
    } else if (req.url === '/stall') {
      res.writeHead(200, { 'content-length': IMAGE.length })
      res.write(IMAGE.subarray(0, 1000))
    } else {
      res.writeHead(404).end()
    }
  })
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  t.after(
    () =>
      new Promise<void>((resolve) => {
        srv.closeAllConnections()
        srv.close(() => resolve())
      }),
  )
  return { base: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, hits }
}

function world(t: TestContext, stallTimeoutMs = 5000) {
  const dir = mkdtempSync(join(tmpdir(), 'image-cache-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const logs: Record<string, unknown>[] = []
  const logger = pino({ level: 'info' }, { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) })
  const make = () => new ImageCache({ dir: join(dir, 'images'), logger, stallTimeoutMs })
  return { dir, logs, make }
}

const signal = () => AbortSignal.timeout(20_000)
const source = (s: Partial<QemuImageSource>): QemuImageSource => ({ sha256: SHA, format: 'qcow2', ...s })
const isChecksumError = (e: unknown) => e instanceof ImageError && /checksum mismatch/.test(e.message)

test('downloads once with bounded progress, verifies, stores read-only, and reuses it', async (t) => {
  const s = await server(t)
  const w = world(t)
  const path = await w.make().ensure('img', source({ url: `${s.base}/ok.img` }), signal())
  assert.equal(path, join(w.dir, 'images', `${SHA}.qcow2`))
  assert.equal(statSync(path).mode & 0o777, 0o444)
  const progress = w.logs.filter((l) => l.msg === 'image download progress')
  assert.ok(progress.length >= 1 && progress.length <= 10, `progress lines: ${progress.length}`)
  assert.equal(progress.at(-1)?.percent, 100)
  // A new cache object (a provider restart) reuses the file without fetching or hashing it again.
  const again = await w.make().ensure('img', source({ url: `${s.base}/ok.img` }), signal())
  assert.equal(again, path)
  assert.equal(s.hits.get('/ok.img'), 1)
  assert.equal(w.logs.filter((l) => l.msg === 'image checksum computed').length, 0)
})

test('a download with the wrong checksum is discarded with a clear error', async (t) => {
  const s = await server(t)
  const w = world(t)
  await assert.rejects(
    w.make().ensure('img', source({ url: `${s.base}/ok.img`, sha256: WRONG }), signal()),
    (e: unknown) => isChecksumError(e) && /discarded/.test((e as Error).message),
  )
  assert.deepEqual(readdirSync(join(w.dir, 'images')), [])
})

test('a failing URL falls back to the mirror; all failing lists every reason', async (t) => {
  const s = await server(t)
  const w = world(t)
  const path = await w.make().ensure('img', source({ url: `${s.base}/gone.img`, mirrors: [`${s.base}/ok.img`] }), signal())
  assert.ok(path.endsWith('.qcow2'))
  const cache = w.make()
  const missing = source({ url: `${s.base}/a.img`, mirrors: [`${s.base}/b.img`], sha256: 'f'.repeat(64) })
  await assert.rejects(cache.ensure('img', missing, signal()), /a\.img: HTTP 404.*b\.img: HTTP 404/)
})

test('a stalled download is abandoned after the stall timeout', async (t) => {
  const s = await server(t)
  const w = world(t, 300)
  await assert.rejects(w.make().ensure('img', source({ url: `${s.base}/stall` }), signal()), /no data for 0\.3 s/)
  assert.deepEqual(readdirSync(join(w.dir, 'images')), [])
})

test('a local image is verified once per change; a corrupt one is a checksum error', async (t) => {
  const w = world(t)
  const file = join(w.dir, 'local.qcow2')
  writeFileSync(file, IMAGE)
  const cache = w.make()
  assert.equal(await cache.ensure('local', source({ path: file }), signal()), file)
  assert.equal(await w.make().ensure('local', source({ path: file }), signal()), file)
  assert.equal(w.logs.filter((l) => l.msg === 'image checksum computed').length, 1, 'hashed once, remembered by size and mtime')
  const corrupt = Buffer.from(IMAGE)
  corrupt[1000] = 0
  writeFileSync(file, corrupt)
  utimesSync(file, new Date(), new Date(Date.now() + 5000))
  await assert.rejects(w.make().ensure('local', source({ path: file }), signal()), isChecksumError)
  await assert.rejects(w.make().ensure('local', source({ path: join(w.dir, 'missing.qcow2') }), signal()), /cannot read the base image/)
})

test('a wrong sha256 in the catalogue for a local image is a checksum error', async (t) => {
  const w = world(t)
  const file = join(w.dir, 'local.qcow2')
  writeFileSync(file, IMAGE)
  await assert.rejects(w.make().ensure('local', source({ path: file, sha256: WRONG }), signal()), isChecksumError)
})

test('the caller stops waiting when its signal aborts', async (t) => {
  const s = await server(t)
  const w = world(t, 10_000)
  const started = performance.now()
  await assert.rejects(w.make().ensure('img', source({ url: `${s.base}/stall` }), AbortSignal.timeout(200)))
  assert.ok(performance.now() - started < 5000)
})
