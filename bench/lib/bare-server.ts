/**
 * The reference for the API benchmarks: a bare `node:http` server (no
 * framework, no validation, no store) answering fixed JSON bodies, as a
 * child process, so "how fast can Node answer on this machine right now" is
 * measured in the same invocation as the provider.
 *
 * @module
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { freePort } from './ports.js'
import { httpJson } from './http.js'
import { sleep, spawnTracked, stopChild, type Scope } from './proc.js'

const SERVER = `
const http = require('node:http')
const fs = require('node:fs')
const routes = JSON.parse(fs.readFileSync(process.argv[1], 'utf8'))
const bodies = new Map(Object.entries(routes).map(([path, body]) => [path, Buffer.from(JSON.stringify(body))]))
http.createServer((req, res) => {
  const body = bodies.get(req.url)
  if (body === undefined) { res.writeHead(404).end(); return }
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length })
  res.end(body)
}).listen(Number(process.argv[2]), '127.0.0.1')
`

/** Starts the bare server with `routes` (path → JSON body); resolves with its base URL and pid once it answers. */
export async function startBareServer(scope: Scope, dir: string, routes: Record<string, unknown>): Promise<{ base: string; pid: number }> {
  const file = join(dir, 'bare-routes.json')
  writeFileSync(file, JSON.stringify(routes))
  const port = await freePort()
  const child = spawnTracked(process.execPath, ['-e', SERVER, file, String(port)], { stdio: 'ignore' })
  scope.defer('stop the bare server', () => stopChild(child, 2000))
  const base = `http://127.0.0.1:${port}`
  for (let i = 0; i < 200; i++) {
    if ((await httpJson(base, 'GET', Object.keys(routes)[0] ?? '/', undefined, { agent: false, timeoutMs: 1000 })).status === 200)
      return { base, pid: child.pid ?? 0 }
    await sleep(5)
  }
  throw new Error('the bare reference server did not start')
}

const DISCOVERY_STUB = `
const http = require('node:http')
http.createServer((req, res) => {
  const chunks = []
  req.on('data', (c) => chunks.push(c))
  req.on('end', () => {
    let body = { status: 'healthy' }
    if (req.method === 'POST') {
      const now = new Date().toISOString()
      try { body = { provider_id: '0x0000000000000000000000000000000000000000', ...JSON.parse(Buffer.concat(chunks).toString()), created_at: now, updated_at: now, signed: true } } catch { body = {} }
    } else if (req.method === 'DELETE') {
      body = { deleted: true }
    }
    const text = JSON.stringify(body)
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text)
  })
}).listen(Number(process.argv[1]), '127.0.0.1')
`

/**
 * A stand-in discovery service on 127.0.0.1 that accepts every advertisement
 * (answers like the real one), so the daemon's advertiser runs as it does in
 * production (one signed post per change) instead of retrying an unreachable
 * service, and no benchmark traffic leaves the machine.
 */
export async function startDiscoveryStub(scope: Scope): Promise<string> {
  const port = await freePort()
  const child = spawnTracked(process.execPath, ['-e', DISCOVERY_STUB, String(port)], { stdio: 'ignore' })
  scope.defer('stop the discovery stub', () => stopChild(child, 2000))
  const base = `http://127.0.0.1:${port}`
  for (let i = 0; i < 400; i++) {
    if ((await httpJson(base, 'GET', '/health', undefined, { agent: false, timeoutMs: 1000 })).status === 200) return base
    await sleep(5)
  }
  throw new Error('the discovery stub did not start')
}
