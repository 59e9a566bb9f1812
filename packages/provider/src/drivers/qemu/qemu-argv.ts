/**
 * The QEMU command line as data: one pure function from what a VM is to
 * `qemu-system-x86_64`'s arguments, tested by equality.
 *
 * QEMU runs with the VM's folder as its working directory, so the VM's own
 * files are named relatively (short paths: a unix socket path may not exceed
 * 107 bytes, and a VM folder's absolute path can be longer than that).
 *
 * @module
 */

/** How guest code runs: hardware virtualisation or software emulation. */
export type Accelerator = 'kvm' | 'tcg'

/** The files of one VM, relative to its folder. */
export const VM_FILES = {
  meta: 'vm.json',
  overlay: 'disk.qcow2',
  seed: 'seed.iso',
  qmp: 'qmp.sock',
  pid: 'qemu.pid',
  console: 'console.log',
  consoleOld: 'console.log.1',
  stdout: 'qemu.stdout.log',
  stderr: 'qemu.stderr.log',
} as const

/** QEMU's name of the serial console's ring buffer, read over QMP with `ringbuf-read`. */
export const CONSOLE_DEVICE = 'console0'

/** The user-mode network's id, which runtime forwards (`hostfwd_add`) name. */
export const NETDEV_ID = 'n0'
/**
 * How much of the console QEMU keeps between two reads (a power of two). The
 * guest's output goes into this ring in QEMU's memory, the oldest bytes
 * overwritten first, never into a file: so it stays bounded whether or not the
 * provider runs, however much the guest writes. The provider drains it into
 * `console.log` (see console-log.ts).
 */
export const CONSOLE_RING_BYTES = 1024 * 1024

/** Direct kernel boot, for images without a bootloader (absolute paths). */
export interface KernelBoot {
  readonly kernel: string
  readonly initrd?: string | undefined
  readonly append?: string | undefined
}

export interface QemuMachine {
  /** Backend instance name; also QEMU's `-name`, which identifies the process. */
  readonly instance: string
  readonly cpus: number
  readonly memoryMb: number
  readonly accelerator: Accelerator
  /** Undefined: boot the disk's own bootloader (Ubuntu cloud images). */
  readonly kernelBoot?: KernelBoot | undefined
  /** Loopback port forwarded to the guest's port 22 on user-mode networking; 0 lets QEMU pick a free one. */
  readonly sshHostPort: number
  /**
   * The VM's TAP on the provider's isolated bridge and the guest's MAC:
   * replaces user-mode networking (and its forward) when set.
   */
  readonly tap?: { readonly ifname: string; readonly mac: string } | undefined
}

// The guest's one network card: a TAP of the provider's bridge, or user-mode networking with the SSH forward.
const netArgs = (m: QemuMachine): string[] =>
  m.tap === undefined
    ? ['-netdev', `user,id=${NETDEV_ID},hostfwd=tcp:127.0.0.1:${m.sshHostPort}-:22`, '-device', `virtio-net-pci,netdev=${NETDEV_ID},romfile=`]
    : [
        '-netdev',
        `tap,id=${NETDEV_ID},ifname=${m.tap.ifname},script=no,downscript=no`,
        '-device',
        `virtio-net-pci,netdev=${NETDEV_ID},mac=${m.tap.mac},romfile=`,
      ]

const kernelArgs = (boot: KernelBoot | undefined): string[] => {
  if (boot === undefined) return []
  return [
    '-kernel',
    boot.kernel,
    ...(boot.initrd === undefined ? [] : ['-initrd', boot.initrd]),
    ...(boot.append === undefined ? [] : ['-append', boot.append]),
  ]
}

/**
 * The arguments of `qemu-system-x86_64` for one VM. The process stays in the
 * foreground of its own session (the caller detaches it); the serial console
 * goes into a ring buffer of {@link CONSOLE_RING_BYTES} (the driver drains it
 * into `console.log`); QMP listens on `qmp.sock`; `qemu.pid` is written and
 * locked by QEMU, so a second QEMU for the same folder refuses to start. With
 * `-no-shutdown` a guest that powers off leaves QEMU paused rather than gone,
 * so the driver can read the console's last lines before it ends QEMU.
 */
export function qemuArgv(m: QemuMachine): string[] {
  return [
    '-name',
    m.instance,
    '-machine',
    'q35',
    '-nodefaults',
    '-nographic',
    '-accel',
    m.accelerator,
    ...(m.accelerator === 'kvm' ? ['-cpu', 'host'] : []),
    '-smp',
    String(m.cpus),
    '-m',
    String(m.memoryMb),
    ...kernelArgs(m.kernelBoot),
    '-drive',
    `if=none,id=disk0,file=${VM_FILES.overlay},format=qcow2,discard=unmap`,
    '-device',
    'virtio-blk-pci,drive=disk0,bootindex=1',
    '-drive',
    `if=none,id=seed0,file=${VM_FILES.seed},format=raw,readonly=on`,
    '-device',
    'virtio-blk-pci,drive=seed0',
    // No option ROM (romfile=): iPXE would only add seconds of "Press Ctrl-B" to every boot.
    ...netArgs(m),
    '-device',
    'virtio-rng-pci',
    '-chardev',
    `ringbuf,id=${CONSOLE_DEVICE},size=${CONSOLE_RING_BYTES}`,
    '-serial',
    `chardev:${CONSOLE_DEVICE}`,
    '-no-shutdown',
    '-qmp',
    `unix:${VM_FILES.qmp},server=on,wait=off`,
    '-pidfile',
    VM_FILES.pid,
  ]
}

/** The guest's memory in MiB: the requested GiB, never below what the image needs. */
export const memoryMb = (requestedGb: number, imageMinMb: number | undefined): number => Math.max(requestedGb * 1024, imageMinMb ?? 0)
