/**
 * Logs in with the real OpenSSH client, as a renter would.
 *
 * @module
 */
import { execFile } from 'node:child_process'

export interface SshResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/**
 * Runs `command` on host:port as `user` with the private key, from `bindAddress` if given, inside the network
 * namespace `netns` if given; bounded by ConnectTimeout and a hard timeout.
 */
export function sshRun(opts: {
  host?: string
  port: number
  user: string
  key: string
  command: string
  timeoutMs?: number
  bindAddress?: string
  netns?: string
}): Promise<SshResult> {
  const args = [
    '-i',
    opts.key,
    '-p',
    String(opts.port),
    ...(opts.bindAddress === undefined ? [] : ['-o', `BindAddress=${opts.bindAddress}`]),
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
    `${opts.user}@${opts.host ?? '127.0.0.1'}`,
    opts.command,
  ]
  return new Promise((resolve) => {
    const [file, argv] = opts.netns === undefined ? ['ssh', args] : ['ip', ['netns', 'exec', opts.netns, 'ssh', ...args]]
    execFile(file, argv, { timeout: opts.timeoutMs ?? 60_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 255
      resolve({ code, stdout: stdout.trim(), stderr: stderr.trim() })
    })
  })
}
