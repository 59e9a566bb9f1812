/**
 * Renter-side SSH for the benchmarks: a key pair made by ssh-keygen, one-shot
 * logins, and long-lived `ssh … cat` sessions used to time round trips.
 *
 * @module
 */
import type { ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { runCommand, spawnTracked, stopChild, type CommandResult } from './proc.js'

export interface KeyPair {
  readonly privateKeyPath: string
  readonly publicKey: string
}

export async function sshKeyPair(dir: string): Promise<KeyPair> {
  const privateKeyPath = join(dir, 'id_ed25519')
  const made = await runCommand('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'golem-bench', '-f', privateKeyPath], { timeoutMs: 20_000 })
  if (made.code !== 0) throw new Error(`ssh-keygen failed: ${made.stderr}`)
  return { privateKeyPath, publicKey: readFileSync(`${privateKeyPath}.pub`, 'utf8').trim() }
}

const sshArgs = (key: string, host: string, port: number, user: string) => [
  '-i',
  key,
  '-p',
  String(port),
  '-T',
  '-o',
  'BatchMode=yes',
  '-o',
  'StrictHostKeyChecking=no',
  '-o',
  'UserKnownHostsFile=/dev/null',
  '-o',
  'ConnectTimeout=15',
  '-o',
  'LogLevel=ERROR',
  '-o',
  'IdentitiesOnly=yes',
  `${user}@${host}`,
]

/** One login that runs `command`; bounded. */
export function sshRun(opts: { key: string; host?: string; port: number; user?: string; command: string; timeoutMs?: number }): Promise<CommandResult> {
  return runCommand('ssh', [...sshArgs(opts.key, opts.host ?? '127.0.0.1', opts.port, opts.user ?? 'ubuntu'), opts.command], {
    timeoutMs: opts.timeoutMs ?? 30_000,
  })
}

/** A logged-in session running `cat`: each line written comes back; `roundTrip` times one. */
export class SshEchoSession {
  readonly #child: ChildProcess
  #buffer = ''
  #waiting: ((line: string) => void) | undefined

  private constructor(child: ChildProcess) {
    this.#child = child
    child.stdout?.on('data', (chunk: Buffer) => {
      this.#buffer += chunk.toString()
      for (;;) {
        const nl = this.#buffer.indexOf('\n')
        if (nl < 0) break
        const line = this.#buffer.slice(0, nl)
        this.#buffer = this.#buffer.slice(nl + 1)
        const waiter = this.#waiting
        this.#waiting = undefined
        waiter?.(line)
      }
    })
  }

  /** Opens the session and waits until the first round trip succeeds (bounded). */
  static async open(opts: { key: string; host?: string; port: number; user?: string; timeoutMs?: number }): Promise<SshEchoSession> {
    const child = spawnTracked('ssh', [...sshArgs(opts.key, opts.host ?? '127.0.0.1', opts.port, opts.user ?? 'ubuntu'), 'cat'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const session = new SshEchoSession(child)
    try {
      await session.roundTrip(opts.timeoutMs ?? 30_000)
    } catch (error) {
      await stopChild(child, 1000)
      throw new Error(`ssh session to port ${opts.port} failed: ${error instanceof Error ? error.message : String(error)} ${stderr.trim()}`, { cause: error })
    }
    return session
  }

  get pid(): number | undefined {
    return this.#child.pid
  }

  /** Writes one line and resolves with the milliseconds until it came back. */
  roundTrip(timeoutMs = 10_000): Promise<number> {
    const token = `${Date.now()}-${Math.random()}`
    return new Promise((resolve, reject) => {
      const started = performance.now()
      const timer = setTimeout(() => {
        this.#waiting = undefined
        reject(new Error('no echo within the time limit'))
      }, timeoutMs)
      const onExit = () => {
        clearTimeout(timer)
        reject(new Error('ssh exited'))
      }
      this.#child.once('exit', onExit)
      this.#waiting = (line) => {
        clearTimeout(timer)
        this.#child.off('exit', onExit)
        if (line === token) resolve(performance.now() - started)
        else reject(new Error(`unexpected echo ${JSON.stringify(line.slice(0, 80))}`))
      }
      this.#child.stdin?.write(`${token}\n`)
    })
  }

  async close(): Promise<void> {
    this.#child.stdin?.end()
    await stopChild(this.#child, 2000)
  }
}
