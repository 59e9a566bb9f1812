/**
 * Starts a long-running process that must outlive the provider (a VM's
 * QEMU): in its own session, in a given working directory, with stdin from
 * /dev/null and stdout/stderr appended to files, so no pipe ties it to the
 * provider and a provider restart does not kill it. Never through a shell.
 *
 * @module
 */
import { spawn } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'

export interface DetachedOptions {
  /** Working directory of the process (relative paths in its arguments resolve here). */
  readonly cwd: string
  /** Files that receive the process's stdout and stderr (created, appended to). */
  readonly stdoutPath: string
  readonly stderrPath: string
  readonly env?: NodeJS.ProcessEnv | undefined
}

/** A started process: its pid, and a promise that settles when it exits (while this provider runs). */
export interface DetachedProcess {
  readonly pid: number
  /** Resolves with the exit code (or null after a signal); never rejects. */
  readonly exited: Promise<number | null>
}

/**
 * Spawns `file args…` detached. Resolves once the process exists; rejects
 * with the spawn error (missing or non-executable file). The caller decides
 * when the process is ready (for QEMU: its QMP socket answers).
 */
export function spawnDetached(file: string, args: readonly string[], opts: DetachedOptions): Promise<DetachedProcess> {
  const out = openSync(opts.stdoutPath, 'a', 0o600)
  const err = openSync(opts.stderrPath, 'a', 0o600)
  try {
    const child = spawn(file, args, { cwd: opts.cwd, env: opts.env ?? process.env, detached: true, stdio: ['ignore', out, err] })
    // The provider does not wait for it; libuv still reaps it if it exits while we run.
    child.unref()
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    return new Promise((resolve, reject) => {
      child.once('error', reject)
      child.once('spawn', () => {
        if (child.pid === undefined) reject(new Error(`${file} started without a pid`))
        else resolve({ pid: child.pid, exited })
      })
    })
  } finally {
    closeSync(out)
    closeSync(err)
  }
}
