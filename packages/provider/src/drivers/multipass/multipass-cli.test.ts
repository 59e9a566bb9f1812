import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BUILTIN_IMAGES } from '../../domain/images.js'
import { deleteArgs, isMissingInstance, launchArgs, parseInfo, parseList, toDriverState } from './multipass-cli.js'
import { parseSubnet, vmNetwork } from './vm-network.js'

// Multipass's bridge mpqemubr0 at 10.61.135.1/24, as os.networkInterfaces() lists it.
const NETWORK = vmNetwork([parseSubnet('10.61.135.0/24')!], {
  mpqemubr0: [{ address: '10.61.135.1', netmask: '255.255.255.0', family: 'IPv4', mac: '52:54:00:00:00:01', internal: false, cidr: '10.61.135.1/24' }],
})

// Shapes as multipass 1.14 prints them (json_formatter.cpp): numbers as strings for cpu_count and disks.
const RUNNING = `{
    "errors": [
    ],
    "info": {
        "golem-web-20261124-101010": {
            "cpu_count": "2",
            "disks": {
                "sda1": {
                    "total": "20629221376",
                    "used": "2006405120"
                }
            },
            "image_hash": "d2377667ea95222330ca2287817403c85178dad397e9fed768a9b4aec79d2a7f",
            "image_release": "24.04 LTS",
            "ipv4": [
                "10.61.135.7"
            ],
            "load": [0.08, 0.03, 0.01],
            "memory": {
                "total": 2062725120,
                "used": 301146112
            },
            "mounts": {
            },
            "release": "Ubuntu 24.04.1 LTS",
            "snapshot_count": "0",
            "state": "Running"
        }
    }
}
`
const STOPPED = `{"errors": [], "info": {"golem-web-20261124-101010": {"cpu_count": "", "disks": {"sda1": {}}, "image_hash": "d2", "image_release": "24.04 LTS", "ipv4": [], "load": [], "memory": {}, "mounts": {}, "release": "", "snapshot_count": "0", "state": "Stopped"}}}`

test('launch passes the user-data on stdin and sizes in gigabytes', () => {
  const spec = {
    instance: 'golem-web-20261124-101010',
    hostname: 'web',
    resources: { cpu: 2, memory: 4, storage: 20 },
    image: BUILTIN_IMAGES[0]!,
    cloudInit: { userData: '', metaData: '' },
  }
  assert.deepEqual(launchArgs(spec, 600), [
    'launch',
    '24.04',
    '--name',
    'golem-web-20261124-101010',
    '--cpus',
    '2',
    '--memory',
    '4G',
    '--disk',
    '20G',
    '--cloud-init',
    '-',
    '--timeout',
    '600',
  ])
  assert.deepEqual(deleteArgs('golem-x'), ['delete', '--purge', 'golem-x'])
})

test('info: memory and disk totals are read from memory.total and disks.*.total', () => {
  const info = parseInfo(RUNNING, 'golem-web-20261124-101010')
  assert.ok(info)
  assert.deepEqual(info, { state: 'Running', ipv4: ['10.61.135.7'], cpuCount: 2, memoryBytes: 2062725120, diskBytes: 20629221376 })
  assert.deepEqual(toDriverState(info, NETWORK), { kind: 'running', endpoint: { host: '10.61.135.7', port: 22 }, ipAddress: '10.61.135.7' })
})

test('info of a stopped instance has empty fields', () => {
  const info = parseInfo(STOPPED, 'golem-web-20261124-101010')
  assert.ok(info)
  assert.deepEqual(info, { state: 'Stopped', ipv4: [], cpuCount: null, memoryBytes: null, diskBytes: 0 })
  assert.deepEqual(toDriverState(info, NETWORK), { kind: 'stopped' })
})

test('every multipass state maps to a driver state', () => {
  const state = (s: string, ipv4: string[] = []) => toDriverState({ state: s, ipv4, cpuCount: null, memoryBytes: null, diskBytes: null }, NETWORK)
  assert.equal(state('Running').kind, 'other', 'running without an address is not usable yet')
  assert.equal(state('Deleted').kind, 'absent')
  for (const s of ['Starting', 'Restarting', 'Delayed Shutdown', 'Suspending', 'Suspended', 'Unknown']) {
    assert.deepEqual(state(s), { kind: 'other', detail: s })
  }
})

test("the SSH forward goes only to an address inside Multipass's VM network, whatever the guest lists first", () => {
  const running = (ipv4: string[]) => toDriverState({ state: 'Running', ipv4, cpuCount: null, memoryBytes: null, diskBytes: null }, NETWORK)
  assert.deepEqual(running(['192.168.1.1', '127.0.0.1', '169.254.169.254', '10.61.135.7']), {
    kind: 'running',
    endpoint: { host: '10.61.135.7', port: 22 },
    ipAddress: '10.61.135.7',
  })
  for (const hostile of [['192.168.1.1'], ['127.0.0.1'], ['10.61.135.1'], ['10.61.135.0', '10.61.135.255'], ['10.61.136.7'], ['fe80::1'], ['10.61.135.7\nx']]) {
    const state = running(hostile)
    if (state.kind !== 'other') assert.fail(`${hostile.join()}: ${state.kind}`)
    assert.match(state.detail, /none of its addresses .* is a VM address in Multipass's network 10\.61\.135\.0\/24/)
  }
})

test('list and error texts', () => {
  const list = parseList(
    '{"list": [{"ipv4": ["10.0.0.3"], "name": "golem-a-1", "release": "Ubuntu 24.04 LTS", "state": "Running"}, {"ipv4": [], "name": "primary", "release": "", "state": "Stopped"}]}',
  )
  assert.deepEqual(
    list.map((i) => [i.name, i.info.state]),
    [
      ['golem-a-1', 'Running'],
      ['primary', 'Stopped'],
    ],
  )
  assert.equal(isMissingInstance('info failed: The following errors occurred:\ninstance "x" does not exist'), true)
  assert.throws(() => parseList('not json'))
})
