import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parse } from 'yaml'
import { generateEd25519KeyPair } from '@golem-vm/protocol/openssh-key'
import { buildCloudInit, readyMarker } from './cloud-init.js'

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

test("the documents read the same as YAML 1.2 and as YAML 1.1 (cloud-init's PyYAML)", () => {
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

test('cloud-init announces its end on the console; a fixed address comes as network-config v2, matched by MAC', () => {
  const network = {
    tap: 'gt1234567-1',
    mac: '52:54:00:8b:56:02',
    address: '10.139.86.2',
    prefixLength: 24,
    gateway: '10.139.86.1',
    dns: ['1.1.1.1', '9.9.9.9'],
  }
  const docs = buildCloudInit({ hostname: 'web-1', instanceId: 'golem-web-1-x', sshKey: 'ssh-ed25519 AAAA', network })
  assert.equal((parse(docs.userData) as Record<string, unknown>).final_message, readyMarker('golem-web-1-x'))
  assert.equal(readyMarker('golem-web-1-x'), 'golem-provider: golem-web-1-x is ready')
  for (const version of ['1.1', '1.2'] as const) {
    assert.deepEqual(parse(docs.networkConfig ?? '', { version }), {
      version: 2,
      ethernets: {
        eth0: {
          match: { macaddress: '52:54:00:8b:56:02' },
          'set-name': 'eth0',
          dhcp4: false,
          dhcp6: false,
          addresses: ['10.139.86.2/24'],
          routes: [{ to: '0.0.0.0/0', via: '10.139.86.1' }],
          nameservers: { addresses: ['1.1.1.1', '9.9.9.9'] },
        },
      },
    })
  }
  assert.equal(
    buildCloudInit({ hostname: 'web-1', instanceId: 'i', sshKey: 'ssh-ed25519 AAAA' }).networkConfig,
    undefined,
    "no network-config: the backend's DHCP",
  )
})

// What YAML 1.1 (cloud-init's PyYAML) reads as a boolean, null or number when it is not quoted.
const YAML_1_1_NON_STRINGS = [
  'yes',
  'no',
  'on',
  'off',
  'true',
  'false',
  'null',
  '~',
  '0b101',
  '0x1F',
  '1e3',
  '0o17',
  'y',
  'n',
  '1_000',
  '12:30',
  '.inf',
  '.nan',
]

test('every name stays a string in YAML 1.1 and 1.2, however a plain scalar would be read', () => {
  for (const name of YAML_1_1_NON_STRINGS) {
    const docs = buildCloudInit({ hostname: name, instanceId: `golem-${name}-20261124-101010`, sshKey: 'ssh-ed25519 AAAAC3Nza' })
    for (const version of ['1.1', '1.2'] as const) {
      const user = parse(docs.userData, { version }) as Record<string, unknown>
      assert.equal(user.hostname, name, `${name} as hostname (YAML ${version})`)
      assert.deepEqual(user.ssh_authorized_keys, ['ssh-ed25519 AAAAC3Nza'])
      assert.equal(user.disable_root, false, 'booleans stay booleans')
      assert.deepEqual(parse(docs.metaData, { version }), { 'instance-id': `golem-${name}-20261124-101010`, 'local-hostname': name })
    }
  }
})

test('a MAC address of digits only stays a string in YAML 1.1 (plain, it is a base-60 number there)', () => {
  const network = { tap: 'gt1-1', mac: '52:54:00:12:34:56', address: '10.139.86.2', prefixLength: 24, gateway: '10.139.86.1', dns: ['1.1.1.1'] }
  const config = parse(buildCloudInit({ hostname: 'web-1', instanceId: 'i', sshKey: 'ssh-ed25519 AAAA', network }).networkConfig ?? '', { version: '1.1' }) as {
    ethernets: { eth0: { match: { macaddress: unknown } } }
  }
  assert.equal(config.ethernets.eth0.match.macaddress, '52:54:00:12:34:56')
})

test("the VM's host key goes to cloud-init's ssh_keys, multi-line private key intact, and no other key type is made", () => {
  const hostKey = generateEd25519KeyPair('root@web-1')
  const docs = buildCloudInit({ hostname: 'web-1', instanceId: 'golem-web-1-x', sshKey: 'ssh-ed25519 AAAAC3Nza', hostKey })
  for (const version of ['1.1', '1.2'] as const) {
    const user = parse(docs.userData, { version }) as Record<string, unknown>
    assert.deepEqual(user.ssh_keys, { ed25519_private: hostKey.privateKey, ed25519_public: hostKey.publicKey })
    assert.deepEqual(user.ssh_genkeytypes, ['ed25519'])
  }
  const without = parse(buildCloudInit({ hostname: 'web-1', instanceId: 'golem-web-1-x', sshKey: 'ssh-ed25519 AAAAC3Nza' }).userData) as Record<string, unknown>
  assert.equal('ssh_keys' in without, false, 'a VM made before host keys were issued keeps its own')
})
