/**
 * A new VM's disks: the qcow2 overlay on the verified base image, sized to
 * the requested storage, and the NoCloud seed.
 *
 * @module
 */
import { join } from 'node:path'
import type { CloudInitDocuments } from '../../domain/cloud-init.js'
import { DriverError } from '../driver.js'
import { timed, type Phases } from './phases.js'
import { VM_FILES } from './qemu-argv.js'
import { createOverlay, imageInfo } from './qemu-img.js'
import { writeSeedIso } from './seed-iso.js'
import type { VmMeta } from './vm-folder.js'

export interface DiskTools {
  readonly qemuImg: string
  readonly isoTool: string
  readonly timeoutMs: number
  readonly signal: AbortSignal
}

const GIB = 1024 ** 3

/** Writes `disk.qcow2` and `seed.iso` into the VM's folder; rejects if the image does not fit the requested disk. */
export async function prepareDisk(dir: string, meta: VmMeta, cloudInit: CloudInitDocuments, tools: DiskTools, phases: Phases): Promise<void> {
  const img = { binary: tools.qemuImg, timeoutMs: tools.timeoutMs, signal: tools.signal }
  await timed(phases, 'disk', async () => {
    const { virtualSize } = await imageInfo(meta.image.base, img)
    if (virtualSize > meta.storageGb * GIB) {
      throw new DriverError(
        'FAILED',
        `image "${meta.image.name}" needs a disk of at least ${Math.ceil(virtualSize / GIB)} GB; ${meta.storageGb} GB was requested`,
      )
    }
    await createOverlay({ base: meta.image.base, baseFormat: meta.image.format, overlay: join(dir, VM_FILES.overlay), sizeGb: meta.storageGb }, img)
  })
  await timed(phases, 'seed', () => writeSeedIso(dir, VM_FILES.seed, cloudInit, { tool: tools.isoTool, timeoutMs: tools.timeoutMs, signal: tools.signal }))
}
