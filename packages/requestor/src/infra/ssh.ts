/**
 * Runs the system OpenSSH client for a rental. Host keys are checked against
 * a known_hosts file of the rental's own in the data dir: the VM's key is
 * pinned there at create from the provider's signed answer
 * (`StrictHostKeyChecking=yes`), or, for a provider that issues none,
 * recorded on first contact (`accept-new`); a changed key makes ssh refuse
 * to connect, which is reported to the caller.
 * Only the requestor's key is offered (`IdentitiesOnly`), the agent and X11
 * are never forwarded to the provider's machine, and ssh's exit status is
 * passed through.
 *
 * @module
 */
import { spawn } from 'node:child_process'
import { constants } from 'node:os'
import { RequestorError } from '../domain/errors.js'
import type { SshTarget } from '../app/ports/ssh.js'

export type { SshTarget }

// ssh expands %-tokens in -i and file options, and splits UserKnownHostsFile at whitespace unless quoted.
const sshPath = (path: string): string => {
  const escaped = path.replace(/%/g, '%%')
  return /\s/.test(escaped) ? `"${escaped}"` : escaped
}

/**
 * The ssh arguments for `target`, then `--`, the destination and the remote
 * command when there is one (so nothing in the command is read as an ssh option).
 */
export function sshArgs(target: SshTarget, command: readonly string[] = []): string[] {
  const options = [
    '-i',
    sshPath(target.privateKeyPath),
    '-p',
    String(target.port),
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    // A key pinned from the provider's signed answer is the only one accepted; otherwise the first one seen is recorded.
    `StrictHostKeyChecking=${target.pinned === true ? 'yes' : 'accept-new'}`,
    '-o',
    `UserKnownHostsFile=${sshPath(target.knownHostsFile)}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'HashKnownHosts=no',
    '-o',
    'ForwardAgent=no',
    '-o',
    'ForwardX11=no',
  ]
  const destination = `${target.user}@${target.host}`
  return command.length === 0 ? [...options, destination] : [...options, '--', destination, ...command]
}

/** Quotes one word for a POSIX shell (only when needed). */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`
}

/** The command line a user can paste to log in as `golem-vm ssh` does. */
export function sshCommandLine(target: SshTarget): string {
  return ['ssh', ...sshArgs(target)].map(shellQuote).join(' ')
}

/** How an ssh run ended. */
export interface SshOutcome {
  /** ssh's exit status, or 128 + the signal number when a signal ended it. */
  readonly exitCode: number
  /** True when ssh refused the connection because the host key differs from the recorded one. */
  readonly hostKeyChanged: boolean
}

const HOST_KEY_CHANGED = /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/

const signalNumber = (signal: NodeJS.Signals): number => constants.signals[signal]

/**
 * Runs ssh with the terminal's stdin and stdout; its stderr is copied to
 * `stderr` and watched for a host key change. While it runs, Ctrl-C belongs
 * to ssh (this process ignores SIGINT) and SIGTERM/SIGHUP are passed on.
 */
export function runSsh(args: readonly string[], stderr: { write(chunk: Uint8Array): unknown }, binary = 'ssh'): Promise<SshOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['inherit', 'inherit', 'pipe'] })
    let tail = ''
    let changed = false
    child.stderr.on('data', (chunk: Buffer) => {
      stderr.write(chunk)
      tail = (tail + chunk.toString('utf8')).slice(-8192)
      changed ||= HOST_KEY_CHANGED.test(tail)
    })
    const ignore = (): void => undefined
    const forward = (signal: NodeJS.Signals): void => {
      child.kill(signal)
    }
    process.on('SIGINT', ignore).on('SIGTERM', forward).on('SIGHUP', forward)
    const cleanup = (): void => {
      process.off('SIGINT', ignore).off('SIGTERM', forward).off('SIGHUP', forward)
    }
    child.on('error', (error: NodeJS.ErrnoException) => {
      cleanup()
      reject(
        error.code === 'ENOENT'
          ? new RequestorError('SSH_UNAVAILABLE', `the ssh client (${binary}) is not installed; install OpenSSH (Debian: apt-get install openssh-client)`)
          : error,
      )
    })
    child.on('close', (code, signal) => {
      cleanup()
      resolve({ exitCode: code ?? (signal === null ? 255 : 128 + signalNumber(signal)), hostKeyChanged: changed })
    })
  })
}
