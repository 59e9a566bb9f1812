import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { parse } from 'yaml'
import { buildCloudInit } from '../../domain/cloud-init.js'
import { seedIsoArgs, writeSeedIso } from './seed-iso.js'

const which = (name: string): string | undefined => {
  try {
    return (
      execFileSync('sh', ['-c', `command -v ${name}`])
        .toString()
        .trim() || undefined
    )
  } catch {
    return undefined
  }
}

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEc8zPMLfkr5MzhUq0nrfvhQ8fTi2H9ZZQJYZNZ/uCQm'

// Reads a file out of the ISO with its Rock Ridge name.
const extract = (iso: string, name: string) => execFileSync('isoinfo', ['-i', iso, '-R', '-x', `/${name}`]).toString()
// The primary volume descriptor is sector 16; the volume id is at byte 40, 32 bytes, space-padded.
const volumeId = (iso: string) =>
  readFileSync(iso)
    .subarray(16 * 2048 + 40, 16 * 2048 + 72)
    .toString('ascii')
    .trim()

test('arguments: genisoimage directly, xorriso in its genisoimage mode', () => {
  assert.deepEqual(seedIsoArgs('/usr/bin/genisoimage', '/vm/seed.iso', ['/vm/s/user-data', '/vm/s/meta-data']), [
    '-quiet',
    '-output',
    '/vm/seed.iso',
    '-volid',
    'cidata',
    '-joliet',
    '-rock',
    '-input-charset',
    'utf-8',
    '/vm/s/user-data',
    '/vm/s/meta-data',
  ])
  assert.deepEqual(seedIsoArgs('/usr/bin/xorriso', '/o', ['/a']).slice(0, 4), ['-as', 'genisoimage', '-quiet', '-output'])
})

for (const tool of ['genisoimage', 'xorriso']) {
  const path = which(tool)
  const skip = path === undefined || which('isoinfo') === undefined ? `${tool} or isoinfo is not installed` : false
  test(`${tool} writes a cidata volume with the cloud-init documents and nothing else`, { skip }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'seed-'))
    t.after(() => rmSync(dir, { recursive: true, force: true }))
    const network = { tap: 'gt1234567-1', mac: '52:54:00:00:00:02', address: '10.9.0.2', prefixLength: 24, gateway: '10.9.0.1', dns: ['1.1.1.1'] }
    const docs = buildCloudInit({ hostname: 'web-1', instanceId: 'golem-web-1-20260101-120000', sshKey: KEY, network })
    await writeSeedIso(dir, 'seed.iso', docs, { tool: path!, timeoutMs: 20_000, signal: AbortSignal.timeout(20_000) })
    const iso = join(dir, 'seed.iso')
    assert.equal(volumeId(iso), 'cidata')
    assert.equal(extract(iso, 'user-data'), docs.userData)
    assert.equal(extract(iso, 'meta-data'), docs.metaData)
    assert.equal(extract(iso, 'network-config'), docs.networkConfig)
    assert.deepEqual(parse(extract(iso, 'meta-data')), { 'instance-id': 'golem-web-1-20260101-120000', 'local-hostname': 'web-1' })
    assert.deepEqual(readdirSync(dir), ['seed.iso'], 'the scratch files are gone')
  })
}

test('a failing tool leaves no scratch files', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'seed-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const docs = buildCloudInit({ hostname: 'x', instanceId: 'i', sshKey: KEY })
  await assert.rejects(writeSeedIso(dir, 'seed.iso', docs, { tool: '/nonexistent/genisoimage', timeoutMs: 5000, signal: AbortSignal.timeout(5000) }))
  assert.deepEqual(readdirSync(dir), [])
})
