/**
 * The descriptor limit (RLIMIT_NOFILE). Every API connection and every SSH
 * forward takes descriptors; at the limit, accepts and spawns fail with
 * EMFILE. Node raises the soft limit to the hard one as it starts; at start
 * the provider raises both to {@link WANTED_FD_LIMIT} where the kernel allows
 * it (root with CAP_SYS_RESOURCE; util-linux `prlimit` on the daemon's own
 * pid, as Node has no setrlimit), and a limit still low is reported so the
 * operator raises it.
 *
 * @module
 */
import { readFile } from 'node:fs/promises'
import { run } from '../exec/run.js'

export interface FdLimit {
  readonly soft: number
  readonly hard: number
}

/** Below this many descriptors the provider warns: a few busy VMs' SSH forwards and the API can use that many. */
export const LOW_FD_LIMIT = 8192
/** The limit the provider asks for (as systemd's unit sets it). */
export const WANTED_FD_LIMIT = 65536

/** Parses the "Max open files" line of `/proc/<pid>/limits`; undefined when absent. */
export function parseFdLimit(limits: string): FdLimit | undefined {
  const match = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limits)
  if (match === null) return undefined
  const value = (text: string | undefined) => (text === 'unlimited' ? Number.POSITIVE_INFINITY : Number(text))
  const soft = value(match[1])
  const hard = value(match[2])
  return Number.isNaN(soft) || Number.isNaN(hard) ? undefined : { soft, hard }
}

const currentLimit = async (): Promise<FdLimit | undefined> => parseFdLimit(await readFile('/proc/self/limits', 'utf8').catch(() => ''))

/** What raising the limit did: the limits before and after, and why it could not be raised if it was not. */
export interface FdLimitOutcome {
  readonly before: FdLimit | undefined
  readonly after: FdLimit | undefined
  readonly failure?: string
}

/** Raises the descriptor limit (soft and hard) to {@link WANTED_FD_LIMIT} when it is lower; never throws. */
export async function raiseFdLimit(): Promise<FdLimitOutcome> {
  const before = await currentLimit()
  if (before === undefined || before.soft >= WANTED_FD_LIMIT) return { before, after: before }
  // Above the hard limit only a privileged process may go; anyone may go up to it.
  const wanted = before.hard >= WANTED_FD_LIMIT || process.getuid?.() === 0 ? WANTED_FD_LIMIT : before.hard
  if (wanted <= before.soft) return { before, after: before }
  const limit = `${wanted}:${Number.isFinite(before.hard) ? Math.max(wanted, before.hard) : 'unlimited'}`
  try {
    await run('prlimit', ['--pid', String(process.pid), `--nofile=${limit}`], { timeoutMs: 5_000 })
    return { before, after: await currentLimit() }
  } catch (error) {
    return { before, after: await currentLimit(), failure: error instanceof Error ? error.message : String(error) }
  }
}

/** The operator's warning when the limit stays low, or undefined. */
export function fdLimitWarning(outcome: FdLimitOutcome): string | undefined {
  const soft = outcome.after?.soft
  if (soft === undefined || soft >= LOW_FD_LIMIT) return undefined
  const why = outcome.failure === undefined ? '' : ` (raising it failed: ${outcome.failure})`
  return `the open-file limit is ${soft}${why}: under a connection flood the API and SSH forwards fail with EMFILE; raise it to at least ${LOW_FD_LIMIT} (systemd: LimitNOFILE=65536, which install-service sets; a shell: ulimit -n)`
}
