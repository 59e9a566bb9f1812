/**
 * Finds the processes of one run through /proc, however they were started:
 * every child of the run carries a marker variable in its environment (and
 * passes it on to its own children), and a VM's QEMU, which the provider
 * starts with a minimal environment, runs with its working directory in its
 * VM folder inside the run's data dir. Zombies
 * (exited, waiting to be reaped by an init that may never do it) count as
 * gone. Synchronous, so the forced exit path can use it too.
 *
 * @module
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'

/** A live process of the run. */
export interface RunProcess {
  readonly pid: number
  /** Its command line, for messages. */
  readonly command: string
}

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'latin1')
  } catch {
    return undefined
  }
}

/** True if `pid` exists and has not exited. */
export function isAlive(pid: number): boolean {
  const stat = read(`/proc/${pid}/stat`)
  if (stat === undefined) return false
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
  return state !== 'Z' && state !== 'X'
}

/**
 * Live processes, other than this one, whose environment holds
 * `name=value` or whose working directory lies under `dir` (when given).
 */
export function findRunProcesses(marker: { name: string; value: string }, dir?: string): RunProcess[] {
  const needle = `${marker.name}=${marker.value}\0`
  const found: RunProcess[] = []
  let entries: string[]
  try {
    entries = readdirSync('/proc')
  } catch {
    return found
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    const pid = Number(entry)
    if (pid === process.pid || !isAlive(pid)) continue
    let cwd: string | undefined
    try {
      cwd = readlinkSync(`/proc/${pid}/cwd`)
    } catch {
      cwd = undefined
    }
    const underDir = dir !== undefined && cwd !== undefined && (cwd === dir || cwd.startsWith(`${dir}/`))
    const marked = `${read(`/proc/${pid}/environ`) ?? ''}\0`.includes(needle)
    if (!underDir && !marked) continue
    const command = (read(`/proc/${pid}/cmdline`) ?? '').split('\0').filter(Boolean).join(' ')
    found.push({ pid, command: command.length > 160 ? `${command.slice(0, 157)}...` : command })
  }
  return found
}

/** Sends `signal` to each pid, ignoring those already gone. */
export function signalAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal)
    } catch {
      // Already gone.
    }
  }
}
