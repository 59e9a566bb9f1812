import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parse } from 'yaml'
import { buildCloudInit } from './cloud-init.js'

test('user-data is a cloud-config document with the key for the default user and root', () => {
  const docs = buildCloudInit({ hostname: 'web-1', instanceId: 'golem-web-1-20261124-101010', sshKey: 'ssh-ed25519 AAAAC3Nza' })
  assert.ok(docs.userData.startsWith('#cloud-config\n'))
  const user = parse(docs.userData) as Record<string, unknown>
  assert.deepEqual(user.ssh_authorized_keys, ['ssh-ed25519 AAAAC3Nza'])
  assert.equal(user.disable_root, false)
  assert.equal(user.hostname, 'web-1')
  assert.equal('users' in user, false, 'a users list would suppress the default user')
  assert.deepEqual(parse(docs.metaData), { 'instance-id': 'golem-web-1-20261124-101010', 'local-hostname': 'web-1' })
})

test('the documents read the same as YAML 1.2 and as YAML 1.1 (cloud-init\'s PyYAML)', () => {
  const key = 'ssh-ed25519 AAAAC3Nza ünïcode "quoted" \\ \t: # [x] yes'
  const docs = buildCloudInit({ hostname: 'h-1', instanceId: 'golem-h-1-x', sshKey: key })
  for (const version of ['1.1', '1.2'] as const) {
    const user = parse(docs.userData, { version }) as Record<string, unknown>
    assert.deepEqual(user.ssh_authorized_keys, [key])
    assert.equal(user.disable_root, false)
    assert.deepEqual(parse(docs.metaData, { version }), { 'instance-id': 'golem-h-1-x', 'local-hostname': 'h-1' })
  }
})

test('hostile text stays a scalar and cannot add keys', () => {
  const hostile = 'x\nruncmd: [rm -rf /]\n# '
  const docs = buildCloudInit({ hostname: hostile, instanceId: 'i: 1', sshKey: 'ssh-ed25519 AAAA\npackages: [nc]' })
  const user = parse(docs.userData) as Record<string, unknown>
  assert.equal(user.hostname, hostile)
  assert.equal('runcmd' in user, false)
  assert.equal('packages' in user, false)
})
