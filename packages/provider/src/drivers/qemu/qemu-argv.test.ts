import assert from 'node:assert/strict'
import { test } from 'node:test'
import { memoryMb, qemuArgv } from './qemu-argv.js'

const common = [
  '-drive',
  'if=none,id=disk0,file=disk.qcow2,format=qcow2,discard=unmap',
  '-device',
  'virtio-blk-pci,drive=disk0,bootindex=1',
  '-drive',
  'if=none,id=seed0,file=seed.iso,format=raw,readonly=on',
  '-device',
  'virtio-blk-pci,drive=seed0',
]
const tail = (port: number) => [
  '-netdev',
  `user,id=n0,hostfwd=tcp:127.0.0.1:${port}-:22`,
  '-device',
  'virtio-net-pci,netdev=n0,romfile=',
  '-device',
  'virtio-rng-pci',
  '-chardev',
  'ringbuf,id=console0,size=1048576',
  '-serial',
  'chardev:console0',
  '-no-shutdown',
  '-qmp',
  'unix:qmp.sock,server=on,wait=off',
  '-pidfile',
  'qemu.pid',
]

test('a kernel+initrd image under TCG, QEMU picks the forwarded port', () => {
  const argv = qemuArgv({
    instance: 'golem-web-1-20260101-120000',
    cpus: 2,
    memoryMb: 1024,
    accelerator: 'tcg',
    sshHostPort: 0,
    kernelBoot: { kernel: '/img/vmlinuz', initrd: '/img/initrd.img', append: 'root=/dev/vda rw console=ttyS0' },
  })
  assert.deepEqual(argv, [
    '-name',
    'golem-web-1-20260101-120000',
    '-machine',
    'q35',
    '-nodefaults',
    '-nographic',
    '-accel',
    'tcg',
    '-smp',
    '2',
    '-m',
    '1024',
    '-kernel',
    '/img/vmlinuz',
    '-initrd',
    '/img/initrd.img',
    '-append',
    'root=/dev/vda rw console=ttyS0',
    ...common,
    ...tail(0),
  ])
})

test('a disk with its own bootloader under KVM, on a port the provider chose', () => {
  const argv = qemuArgv({ instance: 'golem-a-20260101-120000', cpus: 4, memoryMb: 8192, accelerator: 'kvm', sshHostPort: 40022 })
  assert.deepEqual(argv, [
    '-name',
    'golem-a-20260101-120000',
    '-machine',
    'q35',
    '-nodefaults',
    '-nographic',
    '-accel',
    'kvm',
    '-cpu',
    'host',
    '-smp',
    '4',
    '-m',
    '8192',
    ...common,
    ...tail(40022),
  ])
})

test('a kernel without initrd or command line passes only -kernel', () => {
  const argv = qemuArgv({ instance: 'golem-k-20260101-120000', cpus: 1, memoryMb: 512, accelerator: 'tcg', sshHostPort: 0, kernelBoot: { kernel: '/k' } })
  assert.deepEqual(argv.slice(argv.indexOf('-kernel'), argv.indexOf('-kernel') + 3), ['-kernel', '/k', '-drive'])
})

test('memory is the requested GiB, but never below the image minimum', () => {
  assert.equal(memoryMb(1, undefined), 1024)
  assert.equal(memoryMb(2, 512), 2048)
  assert.equal(memoryMb(1, 1536), 1536)
})

test('a VM on the isolated network gets its TAP and fixed MAC instead of user-mode networking and its forward', () => {
  const argv = qemuArgv({
    instance: 'golem-t-20260101-120000',
    cpus: 1,
    memoryMb: 512,
    accelerator: 'tcg',
    sshHostPort: 0,
    tap: { ifname: 'gtabc1234-1', mac: '52:54:00:80:01:02' },
  })
  const at = argv.indexOf('-netdev')
  assert.deepEqual(argv.slice(at, at + 4), [
    '-netdev',
    'tap,id=n0,ifname=gtabc1234-1,script=no,downscript=no',
    '-device',
    'virtio-net-pci,netdev=n0,mac=52:54:00:80:01:02,romfile=',
  ])
  assert.ok(!argv.some((a) => a.includes('hostfwd')))
})
