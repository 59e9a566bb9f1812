/**
 * A CPU quota for one process through the cgroup v1 `cpu` controller (what
 * this kind of machine mounts at /sys/fs/cgroup/cpu): a stand-in for a
 * process running on a smaller machine of its own, so a benchmark can show
 * how a service scales out on a host whose cores it shares with its
 * database and load generator. Root only.
 *
 * @module
 */
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const CPU_ROOT = '/sys/fs/cgroup/cpu'
const PERIOD_US = 100_000

/** Why quotas cannot be set here, or undefined when they can. */
export function cpuQuotaUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'CPU quotas need root'
  if (!existsSync(join(CPU_ROOT, 'cpu.cfs_quota_us'))) return `no cgroup v1 cpu controller at ${CPU_ROOT}`
  return undefined
}

/**
 * Moves `pid` (all its threads) into a new cgroup allowed `cores` of CPU time
 * per period; the returned function moves it back and removes the cgroup.
 */
export function limitCpu(pid: number, cores: number): () => void {
  const dir = join(CPU_ROOT, `golem-bench-${process.pid}-${pid}`)
  mkdirSync(dir)
  try {
    writeFileSync(join(dir, 'cpu.cfs_period_us'), String(PERIOD_US))
    writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(Math.round(cores * PERIOD_US)))
    writeFileSync(join(dir, 'cgroup.procs'), String(pid))
  } catch (error) {
    rmdirSync(dir)
    throw error
  }
  return () => {
    try {
      writeFileSync(join(CPU_ROOT, 'cgroup.procs'), String(pid))
    } catch {
      // the process has exited: the cgroup is empty already
    }
    rmdirSync(dir)
  }
}
