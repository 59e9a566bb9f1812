/**
 * Logs in with the real OpenSSH client, as a renter would.
 *
 * @module
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { api } from './daemon.js'
import { ed25519Key } from './keys.js'

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
  /** A known_hosts file: the host key is checked against it (StrictHostKeyChecking=yes) instead of not at all. */
  knownHosts?: string
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
    `StrictHostKeyChecking=${opts.knownHosts === undefined ? 'no' : 'yes'}`,
    '-o',
    `UserKnownHostsFile=${opts.knownHosts ?? '/dev/null'}`,
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

/**
 * Checks that the VM `name` presents exactly the host key the provider issued for it (listed by /access): `ssh` with
 * StrictHostKeyChecking=yes and a known_hosts file holding only that key logs in, and one holding another key is
 * refused. The known_hosts files go next to the private key.
 */
export async function assertIssuedHostKey(opts: { baseUrl: string; name: string; port: number; user: string; key: string }): Promise<void> {
  const access = await api<{ ssh_host_keys?: string[] }>(opts.baseUrl, 'GET', `/api/v1/vms/${opts.name}/access`)
  const keys = access.body.ssh_host_keys ?? []
  assert.equal(keys.length, 1, `one issued host key: ${JSON.stringify(access.body)}`)
  const login = async (hostKey: string, file: string): Promise<SshResult> => {
    const knownHosts = join(dirname(opts.key), file)
    writeFileSync(knownHosts, `[127.0.0.1]:${String(opts.port)} ${hostKey}\n`)
    return sshRun({ port: opts.port, user: opts.user, key: opts.key, command: 'echo pinned', knownHosts, timeoutMs: 60_000 })
  }
  const pinned = await login(keys[0] ?? '', 'known_hosts.issued')
  assert.deepEqual([pinned.code, pinned.stdout], [0, 'pinned'], `the guest presents the issued host key: ${pinned.stderr}`)
  const other = await login(ed25519Key(), 'known_hosts.other')
  assert.equal(other.code, 255, 'a known_hosts file with another key is refused')
  assert.match(other.stderr, /Host key verification failed/)
}
