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
  /** Loopback port forwarded to the guest's port 22; 0 lets QEMU pick a free one. */
  readonly sshHostPort: number
}

const kernelArgs = (boot: KernelBoot | undefined): string[] => {
  if (boot === undefined) return []
  return [
    '-kernel', boot.kernel,
    ...(boot.initrd === undefined ? [] : ['-initrd', boot.initrd]),
    ...(boot.append === undefined ? [] : ['-append', boot.append]),
  ]
}

/**
 * The arguments of `qemu-system-x86_64` for one VM. The process stays in the
 * foreground of its own session (the caller detaches it); the serial console
 * is appended to `console.log` (the driver rotates and caps it); QMP listens
 * on `qmp.sock`; `qemu.pid` is written and locked by QEMU, so a second QEMU
 * for the same folder refuses to start.
 */
export function qemuArgv(m: QemuMachine): string[] {
  return [
    '-name', m.instance,
    '-machine', 'q35', '-nodefaults', '-nographic',
    '-accel', m.accelerator,
    ...(m.accelerator === 'kvm' ? ['-cpu', 'host'] : []),
    '-smp', String(m.cpus),
    '-m', String(m.memoryMb),
    ...kernelArgs(m.kernelBoot),
    '-drive', `if=none,id=disk0,file=${VM_FILES.overlay},format=qcow2,discard=unmap`,
    '-device', 'virtio-blk-pci,drive=disk0,bootindex=1',
    '-drive', `if=none,id=seed0,file=${VM_FILES.seed},format=raw,readonly=on`,
    '-device', 'virtio-blk-pci,drive=seed0',
    '-netdev', `user,id=n0,hostfwd=tcp:127.0.0.1:${m.sshHostPort}-:22`,
    // No option ROM: iPXE would only add seconds of "Press Ctrl-B" to every boot.
    '-device', 'virtio-net-pci,netdev=n0,romfile=',
    '-device', 'virtio-rng-pci',
    '-chardev', `file,id=console0,path=${VM_FILES.console},append=on`,
    '-serial', 'chardev:console0',
    '-qmp', `unix:${VM_FILES.qmp},server=on,wait=off`,
    '-pidfile', VM_FILES.pid,
  ]
}

/** The guest's memory in MiB: the requested GiB, never below what the image needs. */
export const memoryMb = (requestedGb: number, imageMinMb: number | undefined): number =>
  Math.max(requestedGb * 1024, imageMinMb ?? 0)
