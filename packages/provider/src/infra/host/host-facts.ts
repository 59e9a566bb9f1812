/**
 * Measures the host once at start: cores, memory, the free space of the
 * filesystem that holds the VM disks, and (Linux) the kernel's ephemeral ports.
 *
 * @module
 */
import { readFile, statfs } from 'node:fs/promises'
import os from 'node:os'
import type { HostFacts } from '../../domain/capacity.js'
import { parseLocalPortRange, parseReservedPorts, type PortRange } from '../../domain/ephemeral-ports.js'

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

/** The kernel's ephemeral port range and its reserved ports; undefined where /proc does not say (not Linux). */
export async function ephemeralPorts(): Promise<{ range: PortRange; reserved: PortRange[] } | undefined> {
  try {
    const [range, reserved] = await Promise.all([
      readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'),
      readFile('/proc/sys/net/ipv4/ip_local_reserved_ports', 'utf8'),
    ])
    const parsed = parseLocalPortRange(range)
    return parsed === undefined ? undefined : { range: parsed, reserved: parseReservedPorts(reserved) }
  } catch {
    return undefined
  }
}
