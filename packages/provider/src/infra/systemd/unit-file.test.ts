import assert from 'node:assert/strict'
import { test } from 'node:test'
import { nodeFlagsFromShebang, systemdUnit, systemdWord, type UnitSettings } from './unit-file.js'

const settings = (over: Partial<UnitSettings> = {}): UnitSettings => ({
  node: '/usr/bin/node',
  nodeFlags: ['--max-semi-space-size=1'],
  bin: '/opt/golem/packages/provider/bin/golem-provider.js',
  envFile: '/etc/golem-provider.env',
  dataDir: '/var/lib/golem-provider',
  dataDirPath: '/var/lib/golem-provider',
  backend: 'auto',
  stopTimeoutS: 180,
  ...over,
})

const lines = (unit: string) => unit.split('\n')

test("the node flags come from the bin's #! line", () => {
  assert.deepEqual(nodeFlagsFromShebang('#!/usr/bin/env -S node --max-semi-space-size=1'), ['--max-semi-space-size=1'])
  assert.deepEqual(nodeFlagsFromShebang('#!/usr/local/bin/node --a --b=2'), ['--a', '--b=2'])
  assert.deepEqual(nodeFlagsFromShebang('#!/usr/bin/env node'), [])
  assert.deepEqual(nodeFlagsFromShebang('import x from "y"'), [])
})

test('words are escaped for systemd: specifiers, variables (in commands), quotes, spaces; line breaks are refused', () => {
  assert.equal(systemdWord('/usr/bin/node'), '/usr/bin/node')
  assert.equal(systemdWord('/a b/c'), '"/a b/c"')
  assert.equal(systemdWord('100%'), '100%%')
  assert.equal(systemdWord('$HOME', 'command'), '$$HOME')
  assert.equal(systemdWord('$HOME', 'value'), '$HOME')
  assert.equal(systemdWord('say "hi"\\'), '"say \\"hi\\"\\\\"')
  assert.throws(() => systemdWord('a\nExecStartPre=/bin/evil'), /line break/)
})

test('the daemon runs directly with its flags, restarts on failure only, and stopping it leaves VMs running', () => {
  const unit = lines(systemdUnit(settings()))
  assert.ok(unit.includes('ExecStart=/usr/bin/node --max-semi-space-size=1 /opt/golem/packages/provider/bin/golem-provider.js start'))
  for (const line of [
    'KillMode=process',
    'Restart=on-failure',
    'RestartPreventExitStatus=2',
    'Environment=GOLEM_PROVIDER_ENV_FILE=/etc/golem-provider.env',
    'Environment=GOLEM_PROVIDER_DATA_DIR=/var/lib/golem-provider',
    'TimeoutStopSec=180',
    'WantedBy=multi-user.target',
  ]) {
    assert.ok(unit.includes(line), line)
  }
  assert.ok(!unit.some((l) => l.includes('npm')), 'never through npm')
  assert.ok(!lines(systemdUnit(settings({ dataDir: undefined }))).some((l) => l.includes('GOLEM_PROVIDER_DATA_DIR')), 'the environment file names the data dir')
})

test('hardening: Multipass (and auto) get no mount namespace and no no-new-privileges; QEMU gets both; device lists never', () => {
  const namespaced = ['NoNewPrivileges=yes', 'ProtectSystem=full', 'ProtectHome=read-only', 'PrivateTmp=yes', 'ProtectControlGroups=yes']
  for (const backend of ['auto', 'multipass'] as const) {
    const unit = lines(systemdUnit(settings({ backend })))
    for (const line of namespaced) assert.ok(!unit.includes(line), `${backend}: ${line}`)
    assert.ok(unit.includes('RestrictSUIDSGID=yes'))
    assert.ok(unit.some((l) => l.startsWith('After=') && l.includes('snap.multipass.multipassd.service')))
  }
  const qemu = lines(systemdUnit(settings({ backend: 'qemu' })))
  for (const line of namespaced) assert.ok(qemu.includes(line), `qemu: ${line}`)
  for (const unit of [qemu, lines(systemdUnit(settings()))]) {
    for (const banned of [
      'PrivateDevices',
      'DevicePolicy',
      'DeviceAllow',
      'ProtectClock',
      'MemoryDenyWriteExecute',
      'ProtectKernelTunables',
      'ProtectKernelModules',
      'RestrictNamespaces',
      'CapabilityBoundingSet',
    ]) {
      assert.ok(!unit.some((l) => l.startsWith(`${banned}=`)), banned)
    }
  }
  assert.ok(!qemu.some((l) => l.startsWith('ReadWritePaths=')), 'a data dir outside home directories needs no exception')
  const inHome = lines(systemdUnit(settings({ backend: 'qemu', dataDirPath: '/root/.golem/provider' })))
  assert.ok(inHome.includes('ReadWritePaths=-/root/.golem/provider'))
})
