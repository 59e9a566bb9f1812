/**
 * Each VM lives in its own folder `<dataDir>/vms/<instance>/`: the overlay,
 * the seed, QMP socket, pid file, console log, and `vm.json` (what the VM
 * is, so it can be booted again and listed after a provider restart without
 * the image catalogue or the provider's database).
 *
 * @module
 */
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises'
import { readIfExists } from '@golem-vm/common'
import { join } from 'node:path'
import { z } from 'zod'
import { INSTANCE_PREFIX } from '../../domain/vm.js'
import { VM_FILES } from './qemu-argv.js'

// Instance names become folder names: nothing that could leave the vms folder.
const INSTANCE_NAME = /^golem-[a-z0-9][a-z0-9-]{0,120}$/

const VmMeta = z.strictObject({
  version: z.literal(1),
  instance: z.string(),
  hostname: z.string(),
  cpus: z.number().int().positive(),
  memoryMb: z.number().int().positive(),
  storageGb: z.number().int().positive(),
  image: z.strictObject({
    name: z.string(),
    /** The verified base image the overlay is backed by. */
    base: z.string(),
    format: z.enum(['qcow2', 'raw']),
    kernel: z.string().optional(),
    initrd: z.string().optional(),
    append: z.string().optional(),
  }),
  createdAt: z.string(),
  /** The line cloud-init prints on the console when the guest has finished booting (absent: VMs launched before it). */
  readyMarker: z.string().optional(),
  /** The VM's place on the provider's isolated network (TAP, MAC, address); absent: user-mode networking. */
  network: z
    .strictObject({ tap: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/), mac: z.string().regex(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/), address: z.string() })
    .optional(),
})

export type VmMeta = z.infer<typeof VmMeta>

/** The folders of the QEMU driver's VMs. */
export class VmFolders {
  constructor(readonly root: string) {}

  /** True for names this driver may use as folder names. */
  static isValidName(instance: string): boolean {
    return INSTANCE_NAME.test(instance)
  }

  dir(instance: string): string {
    if (!VmFolders.isValidName(instance)) throw new Error(`not a VM instance name: ${instance}`)
    return join(this.root, instance)
  }

  /** Creates the VM's folder; rejects if it already exists. */
  async create(instance: string): Promise<string> {
    await mkdir(this.root, { recursive: true, mode: 0o700 })
    const dir = this.dir(instance)
    await mkdir(dir, { mode: 0o700 })
    return dir
  }

  /** Writes `vm.json` atomically (a crash never leaves half a file). */
  async writeMeta(meta: VmMeta): Promise<void> {
    const dir = this.dir(meta.instance)
    const tmp = join(dir, `${VM_FILES.meta}.tmp`)
    await writeFile(tmp, `${JSON.stringify(meta, null, 2)}\n`, { mode: 0o600 })
    await rename(tmp, join(dir, VM_FILES.meta))
  }

  /** The VM's `vm.json`, or undefined when the folder or the file does not exist. Rejects on a corrupt file. */
  async readMeta(instance: string): Promise<VmMeta | undefined> {
    if (!VmFolders.isValidName(instance)) return undefined
    const text = await readIfExists(join(this.dir(instance), VM_FILES.meta))
    return text === undefined ? undefined : VmMeta.parse(JSON.parse(text))
  }

  /** True if the VM's folder exists (with or without `vm.json`: a launch may have stopped half-way). */
  async exists(instance: string): Promise<boolean> {
    if (!VmFolders.isValidName(instance)) return false
    return readdir(this.dir(instance)).then(
      () => true,
      () => false,
    )
  }

  /** The instance names of every VM folder. */
  async list(): Promise<string[]> {
    const entries = await readdir(this.root, { withFileTypes: true }).catch(() => [])
    return entries
      .filter((e) => e.isDirectory() && e.name.startsWith(INSTANCE_PREFIX) && VmFolders.isValidName(e.name))
      .map((e) => e.name)
      .sort()
  }

  /** Removes the VM's folder and everything in it; a missing folder is fine. */
  async remove(instance: string): Promise<void> {
    await rm(this.dir(instance), { recursive: true, force: true })
  }
}
