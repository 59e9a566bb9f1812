import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import type { Rental } from '../domain/rental.js'
import { RENTALS_FILE, RentalStore } from './rental-store.js'

function tempDataDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'golem-vm-store-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return join(dir, 'data')
}

const rental = (name: string): Rental => ({
  name,
  vm_id: name,
  provider_id: '0x00000000000000000000000000000000000000A1',
  provider_name: null,
  provider_url: 'http://127.0.0.1:7466',
  renter: '0x00000000000000000000000000000000000000B2',
  status: 'creating',
  resources: { cpu: 1, memory: 1, storage: 10 },
  image: '24.04',
  ssh_host: '127.0.0.1',
  ssh_port: null,
  ssh_user: 'ubuntu',
  ssh_key_fingerprint: 'SHA256:x',
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
})

test('insert, get, update, remove; the file is private and versioned', async (t) => {
  const dataDir = tempDataDir(t)
  const store = new RentalStore(dataDir)
  assert.deepEqual(await store.list(), [])
  await store.insert(rental('a'))
  await assert.rejects(store.insert(rental('a')), { code: 'NAME_TAKEN' })
  const updated = await store.update('a', { status: 'running', ssh_port: 50800 })
  assert.equal(updated?.status, 'running')
  assert.notEqual(updated.updated_at, '2026-01-01T00:00:00.000Z')
  assert.equal((await store.get('a'))?.ssh_port, 50800)
  assert.equal(await store.update('zz', { status: 'running' }), undefined)
  const file = join(dataDir, RENTALS_FILE)
  assert.equal(statSync(file).mode & 0o777, 0o600)
  assert.equal((JSON.parse(readFileSync(file, 'utf8')) as { version: number }).version, 1)
  assert.equal(await store.remove('a'), true)
  assert.equal(await store.remove('a'), false)
  assert.deepEqual(await store.list(), [])
})

test('concurrent changes from separate stores (as from separate processes) are all kept', async (t) => {
  const dataDir = tempDataDir(t)
  await Promise.all(Array.from({ length: 20 }, (_, i) => new RentalStore(dataDir).insert(rental(`vm-${i}`))))
  assert.equal((await new RentalStore(dataDir).list()).length, 20)
})

test('a stale lock left by a crashed process is taken over; a damaged file is reported, not overwritten', async (t) => {
  const dataDir = tempDataDir(t)
  const store = new RentalStore(dataDir)
  await store.insert(rental('a'))
  const lock = join(dataDir, `${RENTALS_FILE}.lock`)
  writeFileSync(lock, '12345')
  const old = new Date(Date.now() - 60_000)
  utimesSync(lock, old, old)
  await store.insert(rental('b'))
  assert.equal((await store.list()).length, 2)
  writeFileSync(join(dataDir, RENTALS_FILE), '{"version": 1, "rentals": [{"name": 3}]}')
  await assert.rejects(store.list(), { code: 'LOCAL_STATE', message: /damaged/ })
  await assert.rejects(store.insert(rental('c')), { code: 'LOCAL_STATE' })
})
