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

test('the documents read the same as YAML 1.2 and as YAML 1.1 (cloud-init\'s PyYAML), escapes included', () => {
  const key = 'ssh-ed25519 AAAAC3Nza ünïcode "quoted" \\ \t: # [x]'
  const docs = buildCloudInit({ hostname: 'h-1', instanceId: 'golem-h-1-x', sshKey: key })
  assert.equal(docs.userData, `#cloud-config\nhostname: "h-1"\npreserve_hostname: false\nmanage_etc_hosts: true\nssh_pwauth: false\ndisable_root: false\nssh_authorized_keys:\n  - ${JSON.stringify(key)}\n`)
  for (const version of ['1.1', '1.2'] as const) {
    assert.deepEqual((parse(docs.userData, { version }) as { ssh_authorized_keys: string[] }).ssh_authorized_keys, [key])
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
