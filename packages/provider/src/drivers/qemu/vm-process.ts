/**
 * Finding and ending a VM's QEMU process through /proc, so it is found again
 * after a provider restart. A process belongs to a VM folder when its
 * working directory is that folder (QEMU runs there and never leaves it);
 * this also guards against a recycled pid in a stale pid file. A zombie
 * (exited, not yet reaped: QEMU outlives the provider and is reparented to
 * an init that may never reap it) counts as gone.
 *
 * @module
 */
import { readdir, readFile, readlink, realpath } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { VM_FILES } from './qemu-argv.js'

/** True if `pid` exists and has not exited (zombies have exited). */
export async function isAlive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    // The state follows the command name, which is in parentheses and may contain spaces.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
    return state !== 'Z' && state !== 'X'
  } catch {
    return false
  }
}

async function cwdOf(pid: number): Promise<string | undefined> {
  return readlink(`/proc/${pid}/cwd`).catch(() => undefined)
}

// /proc shows a working directory with symbolic links resolved; compare like with like.
const resolved = (dir: string) => realpath(dir).catch(() => dir)

/** The live process whose working directory is `dir`, according to its pid file. */
export async function pidFromFile(dir: string): Promise<number | undefined> {
  const text = await readFile(join(dir, VM_FILES.pid), 'utf8').catch(() => '')
  const pid = Number(text.trim())
  if (!Number.isInteger(pid) || pid <= 1) return undefined
  return (await isAlive(pid)) && (await cwdOf(pid)) === (await resolved(dir)) ? pid : undefined
}

/** Every live process whose working directory is `dir` (a sweep for strays without a pid file). */
export async function pidsIn(dir: string): Promise<number[]> {
  const entries = await readdir('/proc').catch(() => [])
  const real = await resolved(dir)
  const found: number[] = []
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue
    const pid = Number(name)
    if (pid !== process.pid && (await cwdOf(pid)) === real && (await isAlive(pid))) found.push(pid)
  }
  return found
}

/** Polls until `pid` has exited; resolves false at the deadline. Honours `signal`. */
export async function waitForExit(pid: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  const deadline = performance.now() + timeoutMs
  while (performance.now() < deadline) {
    if (!(await isAlive(pid))) return true
    await sleep(100, undefined, { signal })
  }
  return !(await isAlive(pid))
}

const kill = (pid: number, sig: NodeJS.Signals) => {
  try {
    process.kill(pid, sig)
  } catch {
    // Already gone.
  }
}

/**
 * Ends the processes: SIGTERM (QEMU exits at once, closing its files), then
 * SIGKILL after `graceMs`. Resolves true when all have exited.
 */
export async function terminate(pids: readonly number[], graceMs: number): Promise<boolean> {
  for (const pid of pids) kill(pid, 'SIGTERM')
  const exited = await Promise.all(pids.map((pid) => waitForExit(pid, graceMs)))
  const left = pids.filter((_, i) => exited[i] !== true)
  for (const pid of left) kill(pid, 'SIGKILL')
  const killed = await Promise.all(left.map((pid) => waitForExit(pid, 5000)))
  return killed.every(Boolean)
}
