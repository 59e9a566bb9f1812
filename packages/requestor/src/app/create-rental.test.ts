import assert from 'node:assert/strict'
import { test } from 'node:test'
import { accessInfo, advertisement, fakeDeps, PROVIDER, vmInfo } from '../../test/helpers/fake-deps.js'
import { RequestorError } from '../domain/errors.js'
import { createRental } from './create-rental.js'

const request = { name: 'web-1', providerId: PROVIDER, size: 'small' }

test('create checks, records first, creates with the renter key, then records where to SSH', async (t) => {
  const { deps, fakes } = fakeDeps(t)
  let recordedBeforeCreate: unknown
  let sent: unknown
  fakes.provider.create = async (body) => {
    recordedBeforeCreate = await deps.store.get(body.name)
    sent = body
    return vmInfo(body.name, { resources: body.resources })
  }
  fakes.provider.access = async (id) => ({ ...accessInfo(id), ssh_host: '127.0.0.1', ssh_port: 50812 })
  const phases: string[] = []
  const { rental, notices } = await createRental(deps, { ...request, image: '22.04' }, { onPhase: (phase) => phases.push(phase) })
  assert.deepEqual(phases, ['checking', 'creating', 'finishing'])
  assert.equal((recordedBeforeCreate as { status: string }).status, 'creating')
  const key = await deps.sshKey(false)
  const identity = await deps.identity()
  assert.deepEqual(sent, { name: 'web-1', ssh_key: key.publicKey, resources: { cpu: 1, memory: 1, storage: 10 }, image: '22.04' })
  assert.equal(rental.status, 'running')
  assert.equal(rental.ssh_port, 50812)
  assert.equal(rental.provider_url, 'http://127.0.0.1:7777')
  assert.equal(rental.provider_id, PROVIDER)
  assert.equal(rental.renter, identity.address)
  assert.equal(rental.ssh_key_fingerprint, key.fingerprint)
  assert.equal(notices.length, 2, 'new identity and new SSH key are announced')
  assert.deepEqual(await deps.store.get('web-1'), rental)
})

test('bad arguments are all reported before anything is looked up', async (t) => {
  const { deps, fakes } = fakeDeps(t)
  fakes.ads = []
  await assert.rejects(createRental(deps, { name: 'X', providerId: 'nope', cpu: '3' }), (error: unknown) => {
    assert.ok(error instanceof RequestorError)
    assert.equal(error.code, 'INVALID_ARGUMENT')
    assert.match(error.message, /name "X".*--cpu.*--provider-id/)
    return true
  })
})

test('a taken local name, a missing, unverified or full provider are refused before the provider is asked', async (t) => {
  const { deps, fakes } = fakeDeps(t)
  let asked = 0
  fakes.provider.create = async (body) => {
    asked++
    return vmInfo(body.name)
  }
  await createRental(deps, request)
  await assert.rejects(createRental(deps, request), { code: 'NAME_TAKEN' })
  fakes.ads = []
  await assert.rejects(createRental(deps, { ...request, name: 'web-2' }), { code: 'PROVIDER_NOT_FOUND', message: /golem-vm providers/ })
  fakes.ads = [advertisement({ signed: false })]
  await assert.rejects(createRental(deps, { ...request, name: 'web-2' }), { code: 'PROVIDER_UNVERIFIED', message: /--allow-unverified/ })
  await createRental(deps, { ...request, name: 'web-2', allowUnverified: true })
  fakes.ads = [advertisement({ resources: { cpu: 1, memory: 2, storage: 15 } })]
  await assert.rejects(createRental(deps, { ...request, name: 'web-3', size: 'medium' }), {
    code: 'CAPACITY_GONE',
    message: /2 CPU asked, 1 free.*golem-vm providers --cpu 2/,
  })
  assert.equal(asked, 2)
})

test('a refused create leaves no record; an unknown outcome keeps one for destroy', async (t) => {
  const { deps, fakes } = fakeDeps(t)
  fakes.provider.create = async () => {
    throw new RequestorError('CAPACITY_GONE', 'the provider refused: full')
  }
  await assert.rejects(createRental(deps, request), { code: 'CAPACITY_GONE' })
  assert.equal(await deps.store.get('web-1'), undefined)
  fakes.provider.create = async () => {
    throw new RequestorError('PROVIDER_TIMEOUT', 'no answer')
  }
  await assert.rejects(createRental(deps, request), { code: 'PROVIDER_TIMEOUT', message: /golem-vm destroy web-1/ })
  assert.equal((await deps.store.get('web-1'))?.status, 'unknown')
})

test('when access info cannot be read, the port reported at create is used', async (t) => {
  const { deps, fakes } = fakeDeps(t)
  fakes.provider.access = async () => {
    throw new RequestorError('PROVIDER_UNREACHABLE', 'gone')
  }
  fakes.provider.create = async (body) => vmInfo(body.name, { ssh_port: 50899 })
  const { rental } = await createRental(deps, request)
  assert.equal(rental.ssh_port, 50899)
  assert.equal(rental.ssh_host, '127.0.0.1')
})
