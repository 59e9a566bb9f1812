import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { ProviderError } from '../../domain/errors.js'
import Database from 'better-sqlite3'
import { SqliteVmStore, StoreInUseError } from './sqlite-vm-store.js'
import type { NewVm } from '../../app/ports/vm-store.js'

const vm = (id: string, cpu = 1): NewVm => ({
  id,
  name: id,
  scope: 'unsigned',
  instance: `golem-${id}`,
  owner: null,
  resources: { cpu, memory: 1, storage: 10 },
  image: 'ubuntu-24.04',
  sshUser: 'ubuntu',
  sshKey: 'ssh-ed25519 AAAA test',
  createdAt: new Date('2026-01-01T00:00:00Z'),
})

test('every read after a write sees it; a write that fails leaves the reads as committed', () => {
  const store = new SqliteVmStore(':memory:')
  assert.deepEqual(store.list(), [])
  store.reserve(vm('a', 2), () => ({ sshPort: 50800, ports: [] }))
  assert.deepEqual(
    store.list().map((v) => v.id),
    ['a'],
  )
  assert.deepEqual(store.snapshot(), { allocated: { cpu: 2, memory: 1, storage: 10 }, vmCount: 1, usedPorts: new Set([50800]) })
  assert.throws(
    () =>
      store.reserve(vm('b'), () => {
        throw new ProviderError('INSUFFICIENT_RESOURCES', 'full')
      }),
    /full/,
  )
  assert.throws(() => store.reserve({ ...vm('a2'), name: 'a' }, () => ({ sshPort: 50801, ports: [] })), /already/)
  assert.deepEqual(
    store.list().map((v) => v.id),
    ['a'],
  )
  assert.equal(store.snapshot().vmCount, 1)
  assert.equal(store.update('a', { status: 'running', endpoint: { host: '10.0.0.2', port: 22 } })?.status, 'running')
  assert.deepEqual(store.get('a')?.endpoint, { host: '10.0.0.2', port: 22 })
  assert.equal(store.transition('a', ['running'], 'stopping').ok, true)
  assert.equal(store.get('a')?.status, 'stopping')
  assert.equal(store.transition('a', ['running'], 'deleting').ok, false)
  store.remove('a')
  assert.equal(store.get('a'), undefined)
  assert.deepEqual(store.snapshot(), { allocated: { cpu: 0, memory: 0, storage: 0 }, vmCount: 0, usedPorts: new Set() })
  store.close()
})

test("list() returns the caller's own array", () => {
  const store = new SqliteVmStore(':memory:')
  store.reserve(vm('a'), () => ({ sshPort: 50800, ports: [] }))
  store.list().pop()
  assert.equal(store.list().length, 1)
  store.close()
})

test('a second store on the same file is refused while the first is open, and the records survive', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'golem-store-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'provider.db')
  const first = new SqliteVmStore(path)
  first.reserve(vm('kept'), () => ({ sshPort: 50800, ports: [] }))
  assert.throws(
    () => new SqliteVmStore(path),
    (error: unknown) => error instanceof StoreInUseError && /another provider runs with this data dir/.test(error.message),
  )
  assert.deepEqual(
    first.list().map((v) => v.id),
    ['kept'],
  )
  first.close()
  const second = new SqliteVmStore(path)
  assert.deepEqual(
    second.list().map((v) => v.id),
    ['kept'],
  )
  second.close()
})

test('a database of schema 1 gains the login user column; its records log in as ubuntu', () => {
  const dir = mkdtempSync(join(tmpdir(), 'golem-store-'))
  try {
    const path = join(dir, 'provider.db')
    const old = new Database(path)
    old.exec(`CREATE TABLE vms (id TEXT PRIMARY KEY, instance TEXT NOT NULL UNIQUE, owner TEXT, status TEXT NOT NULL,
      cpu INTEGER NOT NULL, memory_gb INTEGER NOT NULL, storage_gb INTEGER NOT NULL, image TEXT NOT NULL, ssh_key TEXT NOT NULL,
      ssh_port INTEGER NOT NULL UNIQUE, target_host TEXT, target_port INTEGER, ip_address TEXT, error_message TEXT,
      created_at TEXT NOT NULL, updated_at TEXT NOT NULL); PRAGMA user_version = 1;`)
    old
      .prepare(
        `INSERT INTO vms VALUES ('old', 'golem-old', NULL, 'stopped', 1, 1, 10, '24.04', 'ssh-ed25519 AAAA', 50800, NULL, NULL, NULL, NULL,
      '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`,
      )
      .run()
    old.close()
    const store = new SqliteVmStore(path)
    assert.equal(store.get('old')?.sshUser, 'ubuntu')
    assert.equal(store.reserve({ ...vm('new'), sshUser: 'debian' }, () => ({ sshPort: 50801, ports: [] })).sshUser, 'debian')
    store.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test("a VM's place on the network: allocated against every other VM's, kept with the record, unique", () => {
  const store = new SqliteVmStore(':memory:')
  store.reserve(vm('a'), () => ({ sshPort: 50800, ports: [] }))
  store.reserve(vm('b'), () => ({ sshPort: 50801, ports: [] }))
  assert.equal(store.get('a')?.attachment, null)
  const first = { tap: 'gt0000000-1', mac: '52:54:00:00:00:02', address: '10.0.0.2' }
  const second = { tap: 'gt0000000-2', mac: '52:54:00:00:00:03', address: '10.0.0.3' }
  let seen: readonly unknown[] = []
  assert.deepEqual(
    store.assignAttachment('a', (taken) => {
      seen = taken
      return first
    })?.attachment,
    first,
  )
  assert.deepEqual(seen, [])
  assert.deepEqual(
    store.assignAttachment('b', (taken) => {
      seen = taken
      return second
    })?.attachment,
    second,
  )
  assert.deepEqual(seen, [first], 'the allocator sees what others hold')
  assert.deepEqual(store.get('a')?.attachment, first)
  store.reserve(vm('c'), () => ({ sshPort: 50802, ports: [] }))
  assert.throws(() => store.assignAttachment('c', () => first), /UNIQUE/, 'the database refuses an address or TAP held twice')
  assert.throws(() => store.assignAttachment('c', () => undefined), /no free address/)
  assert.equal(store.get('c')?.attachment, null, 'a refused allocation changes nothing')
  assert.equal(
    store.assignAttachment('gone', () => first),
    undefined,
  )
  store.remove('a')
  assert.deepEqual(store.assignAttachment('c', () => first)?.attachment, first, "a removed VM's address is free again")
})

test('a database from before scoped names keeps its VMs: names become names, owners their scopes', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'golem-store-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'provider.db')
  const db = new Database(path)
  // Schema version 3, as the provider wrote it before names were scoped per owner.
  db.exec(`CREATE TABLE vms (id TEXT PRIMARY KEY, instance TEXT NOT NULL UNIQUE, owner TEXT, status TEXT NOT NULL,
    cpu INTEGER NOT NULL, memory_gb INTEGER NOT NULL, storage_gb INTEGER NOT NULL, image TEXT NOT NULL, ssh_key TEXT NOT NULL,
    ssh_port INTEGER NOT NULL UNIQUE, target_host TEXT, target_port INTEGER, ip_address TEXT, error_message TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, ssh_user TEXT NOT NULL DEFAULT 'ubuntu', net_tap TEXT, net_mac TEXT, net_address TEXT)`)
  const insert = db.prepare(`INSERT INTO vms (id, instance, owner, status, cpu, memory_gb, storage_gb, image, ssh_key, ssh_port, created_at, updated_at)
    VALUES (?, ?, ?, 'running', 1, 1, 10, 'i', 'k', ?, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`)
  insert.run('signed-vm', 'golem-signed-vm-20260101-000000', '0xA11CE00000000000000000000000000000000001', 50800)
  insert.run('legacy-vm', 'golem-legacy-vm-20260101-000000', null, 50801)
  db.pragma('user_version = 3')
  db.close()
  const store = new SqliteVmStore(path)
  t.after(() => store.close())
  assert.equal(store.findByName('0xA11CE00000000000000000000000000000000001', 'signed-vm')?.id, 'signed-vm')
  assert.equal(store.findByName('unsigned', 'legacy-vm')?.id, 'legacy-vm')
  assert.equal(store.findByName('unsigned', 'signed-vm'), undefined)
  assert.equal(store.snapshot().vmCount, 2)
})
