import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { Wallet } from 'ethers'
import { accessInfo, advertisement, fakeDeps, PROVIDER, vmInfo } from '../../test/helpers/fake-deps.js'
import { RequestorError } from '../domain/errors.js'
import { createRental } from './create-rental.js'
import { destroyVm, listOnProvider, prepareSsh, showVm, startVm, stopVm } from './rental-actions.js'

const create = { name: 'web-1', providerId: PROVIDER, size: 'small' }

test('info, stop and start keep the local status in step with the provider', async (t) => {
  const { deps } = fakeDeps(t)
  await createRental(deps, create)
  assert.equal((await stopVm(deps, { name: 'web-1' })).rental?.status, 'stopped')
  assert.equal((await deps.store.get('web-1'))?.status, 'stopped')
  assert.equal((await startVm(deps, { name: 'web-1' })).rental?.status, 'running')
  const view = await showVm(deps, { name: 'web-1' })
  assert.equal(view.vm.name, 'web-1')
})

test('destroy removes the VM, its record and its host keys; a VM already gone only loses its record', async (t) => {
  const { deps, fakes, dataDir } = fakeDeps(t)
  await createRental(deps, create)
  const knownHosts = await deps.knownHostsFile('web-1')
  writeFileSync(knownHosts, 'x')
  assert.deepEqual(await destroyVm(deps, { name: 'web-1' }), { name: 'web-1', provider_id: PROVIDER, status: 'deleted', payment: null })
  assert.equal(await deps.store.get('web-1'), undefined)
  await assert.rejects(
    import('node:fs/promises').then((fs) => fs.stat(join(dataDir, 'known_hosts', 'web-1'))),
    { code: 'ENOENT' },
  )
  await createRental(deps, create)
  fakes.provider.delete = async () => {
    throw new RequestorError('VM_NOT_FOUND', 'not found')
  }
  assert.equal((await destroyVm(deps, { name: 'web-1' })).status, 'already_gone')
  await assert.rejects(destroyVm(deps, { name: 'web-1' }), { code: 'RENTAL_NOT_FOUND' })
})

test('other failures of destroy keep the record', async (t) => {
  const { deps, fakes } = fakeDeps(t)
  await createRental(deps, create)
  fakes.provider.delete = async () => {
    throw new RequestorError('PROVIDER_UNREACHABLE', 'down')
  }
  await assert.rejects(destroyVm(deps, { name: 'web-1' }), { code: 'PROVIDER_UNREACHABLE' })
  assert.ok(await deps.store.get('web-1'))
})

test('a VM not recorded here is reached with --provider-id; its 404 is reported as not found', async (t) => {
  const { deps, fakes } = fakeDeps(t)
  fakes.provider.get = async () => {
    throw new RequestorError('VM_NOT_FOUND', 'the provider refused: VM Not Found')
  }
  await assert.rejects(showVm(deps, { name: 'other-vm' }), { code: 'RENTAL_NOT_FOUND', message: /--provider-id/ })
  await assert.rejects(showVm(deps, { name: 'other-vm', providerId: PROVIDER }), { code: 'VM_NOT_FOUND' })
  fakes.provider.delete = async () => {
    throw new RequestorError('VM_NOT_FOUND', 'the provider refused: VM Not Found')
  }
  await assert.rejects(destroyVm(deps, { name: 'other-vm', providerId: PROVIDER.toLowerCase() }), { code: 'VM_NOT_FOUND' })
  await assert.rejects(showVm(deps, { name: 'other-vm', providerId: '0x12' }), { code: 'INVALID_ARGUMENT' })
  fakes.provider.list = async () => ({ vms: [vmInfo('mine')], malformed: 1 })
  assert.deepEqual(await listOnProvider(deps, PROVIDER), { provider_id: PROVIDER, vms: [vmInfo('mine')], hidden_malformed: 1, all_renters: false })
  fakes.provider.list = async () => ({ vms: [vmInfo('theirs', { image: null })], malformed: 0 })
  assert.equal((await listOnProvider(deps, PROVIDER)).all_renters, true, "an original provider lists every renter's VMs")
})

test('a rental made by another identity is refused with a clear message', async (t) => {
  const { deps } = fakeDeps(t)
  await createRental(deps, create)
  await deps.store.update('web-1', { renter: new Wallet(Wallet.createRandom().privateKey).address })
  await assert.rejects(showVm(deps, { name: 'web-1' }), { code: 'IDENTITY_MISMATCH', message: /restore the identity file/ })
})

test('ssh uses the recorded port and host, asks the provider only when no port was recorded, never makes a key', async (t) => {
  const { deps, fakes } = fakeDeps(t)
  await assert.rejects(prepareSsh(deps, 'web-1'), { code: 'RENTAL_NOT_FOUND' })
  await createRental(deps, create)
  const { target } = await prepareSsh(deps, 'web-1')
  assert.deepEqual({ host: target.host, port: target.port, user: target.user }, { host: '127.0.0.1', port: 50800, user: 'ubuntu' })
  assert.match(target.knownHostsFile, /known_hosts\/web-1$/)
  await deps.store.update('web-1', { ssh_port: null })
  fakes.provider.access = async (id) => ({ ssh_host: '127.0.0.1', ssh_port: 50850, ssh_user: 'ubuntu', vm_id: id, ssh_host_keys: [] })
  assert.equal((await prepareSsh(deps, 'web-1')).target.port, 50850)
  await deps.store.update('web-1', { ssh_key_fingerprint: 'SHA256:other' })
  await assert.rejects(prepareSsh(deps, 'web-1'), { code: 'SSH_KEY_MISSING', message: /restore the key/ })
})

test('an operation the provider lacks is reported as unsupported, with the VM untouched', async (t) => {
  const { deps, fakes } = fakeDeps(t)
  await createRental(deps, create)
  fakes.provider.stop = async () => {
    throw new RequestorError('NOT_SUPPORTED', 'the provider at http://127.0.0.1:7777 does not support stopping VMs')
  }
  await assert.rejects(stopVm(deps, { name: 'web-1' }), { code: 'NOT_SUPPORTED', message: /does not support stopping VMs; the VM "web-1" is untouched$/ })
  assert.equal((await deps.store.get('web-1'))?.status, 'running', 'the record is unchanged')
})

test('a name that is not a VM name is refused before anything is looked up or removed', async (t) => {
  const { deps, fakes } = fakeDeps(t)
  let asked = 0
  fakes.provider.delete = async () => {
    asked++
  }
  for (const name of ['../../victim', '/etc/passwd', 'a/b', '..', 'Web-1']) {
    await assert.rejects(destroyVm(deps, { name, providerId: PROVIDER }), { code: 'INVALID_ARGUMENT' }, name)
    await assert.rejects(prepareSsh(deps, name), { code: 'INVALID_ARGUMENT' }, name)
  }
  assert.equal(asked, 0)
})

test('in production, providers and SSH hosts at non-public addresses are refused before any connection', async (t) => {
  const { deps, fakes } = fakeDeps(t, { environment: 'production', allowPrivateAddresses: false })
  let asked = 0
  fakes.provider.create = async (body) => {
    asked++
    return vmInfo(body.name)
  }
  await assert.rejects(createRental(deps, create), {
    code: 'ADDRESS_NOT_PUBLIC',
    message: /127\.0\.0\.1, a loopback address.*GOLEM_REQUESTOR_ENVIRONMENT=development/,
  })
  assert.equal(await deps.store.get('web-1'), undefined, 'nothing recorded')
  fakes.ads = [advertisement({ ip_address: '8.8.8.8' })]
  fakes.provider.access = async (id) => ({ ...accessInfo(id), ssh_host: '169.254.169.254' })
  await createRental(deps, create)
  await assert.rejects(prepareSsh(deps, 'web-1'), {
    code: 'ADDRESS_NOT_PUBLIC',
    message: /169\.254\.169\.254 as the SSH address of "web-1", a link-local address/,
  })
  assert.equal(asked, 1)
})
