/**
 * Measures the host once at start: cores, memory, and the free space of the
 * filesystem that holds the VM disks.
 *
 * @module
 */
import { statfs } from 'node:fs/promises'
import os from 'node:os'
import type { HostFacts } from '../../domain/capacity.js'

const GIB = 1024 ** 3

/** `allocatedStorageGb` is what existing VMs already hold: their disks grow into the free space, so it counts as the host's. */
export async function measureHost(dataDir: string, allocatedStorageGb: number): Promise<HostFacts> {
  const fs = await statfs(dataDir)
  return {
    cpuCores: os.availableParallelism(),
    memoryGb: Math.floor(os.totalmem() / GIB),
    storageGb: Math.floor((fs.bavail * fs.bsize) / GIB) + allocatedStorageGb,
  }
}
