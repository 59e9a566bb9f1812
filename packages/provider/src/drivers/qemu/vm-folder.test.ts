import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { VmFolders, type VmMeta } from './vm-folder.js'

function folders(t: TestContext): VmFolders {
  const root = mkdtempSync(join(tmpdir(), 'vms-'))
  t.after(() => rmSync(root, { recursive: true, force: true }))
  return new VmFolders(join(root, 'vms'))
}

const meta = (instance: string): VmMeta => ({
  version: 1,
  instance,
  hostname: 'web',
  cpus: 2,
  memoryMb: 1024,
  storageGb: 12,
  image: { name: 'debian-12-test', base: '/img/disk.qcow2', format: 'qcow2', kernel: '/img/vmlinuz', initrd: '/img/initrd.img', append: 'root=/dev/vda' },
  createdAt: '2026-01-01T12:00:00.000Z',
})

test('a VM folder is created once, described by vm.json, listed and removed', async (t) => {
  const f = folders(t)
  assert.deepEqual(await f.list(), [])
  const dir = await f.create('golem-web-20260101-120000')
  await assert.rejects(f.create('golem-web-20260101-120000'), /EEXIST/)
  assert.equal(await f.exists('golem-web-20260101-120000'), true)
  assert.equal(await f.readMeta('golem-web-20260101-120000'), undefined, 'no vm.json yet: a launch that stopped half-way')
  await f.writeMeta(meta('golem-web-20260101-120000'))
  assert.deepEqual(await f.readMeta('golem-web-20260101-120000'), meta('golem-web-20260101-120000'))
  mkdirSync(join(f.root, 'not-ours'))
  writeFileSync(join(f.root, 'golem-a-file'), '')
  assert.deepEqual(await f.list(), ['golem-web-20260101-120000'])
  await f.remove('golem-web-20260101-120000')
  await f.remove('golem-web-20260101-120000')
  assert.equal(await f.exists('golem-web-20260101-120000'), false)
  assert.ok(dir.endsWith('/vms/golem-web-20260101-120000'))
})

test('names that could leave the folder are refused', async (t) => {
  const f = folders(t)
  for (const bad of ['../x', 'golem-../../etc', 'golem-a/b', 'other-vm', 'golem-', '']) {
    assert.equal(VmFolders.isValidName(bad), false, bad)
    assert.throws(() => f.dir(bad))
    assert.equal(await f.readMeta(bad), undefined)
    assert.equal(await f.exists(bad), false)
  }
})

test('a corrupt vm.json is an error, not a missing VM', async (t) => {
  const f = folders(t)
  const dir = await f.create('golem-x-20260101-120000')
  writeFileSync(join(dir, 'vm.json'), '{"version": 2}')
  await assert.rejects(f.readMeta('golem-x-20260101-120000'))
})
