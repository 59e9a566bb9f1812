/**
 * Resident memory from /proc/<pid>/status (VmRSS, VmHWM), of one process or
 * of a process and its descendants, and a sampler that keeps the peak.
 *
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs'

function statusField(pid: number, field: string): number | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8')
  } catch {
    return undefined
  }
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)
  return match?.[1] === undefined ? undefined : Number(match[1])
}

/** VmRSS of the process in KiB, undefined if it is gone. */
export const rssKiB = (pid: number): number | undefined => statusField(pid, 'VmRSS')
/** VmHWM (peak resident) in KiB. */
export const hwmKiB = (pid: number): number | undefined => statusField(pid, 'VmHWM')

function parentAndName(pid: number): { ppid: number; comm: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const close = stat.lastIndexOf(')')
    const comm = stat.slice(stat.indexOf('(') + 1, close)
    const ppid = Number(stat.slice(close + 2).split(' ')[1])
    return { ppid, comm }
  } catch {
    return undefined
  }
}

/** The process's descendants (pid and command name), found by walking /proc. */
export function descendants(root: number): { pid: number; comm: string }[] {
  const children = new Map<number, { pid: number; comm: string }[]>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const pid = Number(entry)
    const info = parentAndName(pid)
    if (info === undefined) continue
    const list = children.get(info.ppid) ?? []
    list.push({ pid, comm: info.comm })
    children.set(info.ppid, list)
  }
  const found: { pid: number; comm: string }[] = []
  const queue = [root]
  for (let i = 0; i < queue.length && i < 10_000; i++) {
    for (const child of children.get(queue[i] ?? -1) ?? []) {
      found.push(child)
      queue.push(child.pid)
    }
  }
  return found
}

/** RSS of the process plus its descendants, in KiB (a service that spawns helpers is measured whole). */
export function treeRssKiB(pid: number): { total: number; own: number; children: number; childNames: string[] } {
  const own = rssKiB(pid) ?? 0
  let children = 0
  const childNames: string[] = []
  for (const d of descendants(pid)) {
    children += rssKiB(d.pid) ?? 0
    childNames.push(d.comm)
  }
  return { total: own + children, own, children, childNames }
}

/** Samples a process's RSS (or any KiB reading) every `intervalMs` until stopped; keeps min, max and the last value. */
export class RssSampler {
  #timer: NodeJS.Timeout | undefined
  readonly #read: () => number | undefined
  min = Number.POSITIVE_INFINITY
  max = 0
  last = 0
  samples = 0

  constructor(source: number | (() => number | undefined), intervalMs = 20) {
    this.#read = typeof source === 'number' ? () => rssKiB(source) : source
    this.#sample()
    this.#timer = setInterval(() => this.#sample(), intervalMs)
    this.#timer.unref()
  }

  #sample(): void {
    const value = this.#read()
    if (value === undefined) return
    this.samples++
    this.last = value
    this.min = Math.min(this.min, value)
    this.max = Math.max(this.max, value)
  }

  stop(): { min: number; max: number; last: number; samples: number } {
    clearInterval(this.#timer)
    this.#timer = undefined
    this.#sample()
    return { min: this.min, max: this.max, last: this.last, samples: this.samples }
  }
}

/** Settled RSS: the smallest of a few samples over `ms` (transient buffers freed), in KiB. */
export async function settledRssKiB(pid: number, ms = 1500, samples = 6): Promise<number> {
  let best = Number.POSITIVE_INFINITY
  for (let i = 0; i < samples; i++) {
    await new Promise((resolve) => setTimeout(resolve, ms / samples))
    best = Math.min(best, rssKiB(pid) ?? Number.POSITIVE_INFINITY)
  }
  return best
}

/**
 * CPU seconds a process has used, its reaped children included (utime, stime,
 * cutime, cstime from /proc/<pid>/stat): a cost per unit of work that, unlike
 * wall time, other load on the machine barely changes.
 */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0) / 100
  } catch {
    return Number.NaN
  }
}
