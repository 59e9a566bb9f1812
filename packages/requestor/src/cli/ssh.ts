/**
 * `golem-vm ssh`: logs in to a VM with the system ssh client, the
 * requestor's own key and the rental's own known_hosts file; exits with
 * ssh's own status. A changed host key is reported loudly.
 *
 * @module
 */
import { prepareSsh } from '../app/rental-actions.js'
import { runSsh, sshArgs } from '../infra/ssh.js'
import type { CommandContext } from './context.js'
import { note } from './output.js'

/** Options of `golem-vm ssh`. */
export interface SshOptions {
  /** The ssh executable (tests); default `ssh` from PATH. */
  readonly sshBinary?: string | undefined
}

function hostKeyWarning(name: string, host: string, port: number, file: string): string {
  const bar = '@'.repeat(72)
  return [
    bar,
    `@  WARNING: THE HOST KEY OF VM "${name}" HAS CHANGED`,
    bar,
    `The server at ${host}:${port} no longer presents the host key recorded on first`,
    `contact in ${file}. Someone may be intercepting the connection (the provider`,
    'or anyone in between), or the VM was re-created. ssh refused to connect.',
    'If you are sure the change is legitimate, remove the old key and try again:',
    `  rm '${file.replace(/'/g, `'\\''`)}'`,
    bar,
    '',
  ].join('\n')
}

/** Runs ssh to the VM `name` (with `command` when given); returns ssh's exit status. */
export async function sshCommand(ctx: CommandContext, name: string, command: readonly string[], opts: SshOptions = {}): Promise<number> {
  const { rental, target } = await prepareSsh(ctx.deps, name)
  if (rental.status === 'stopped') note(ctx.io, `the VM "${name}" was stopped when last seen; golem-vm start ${name} starts it`)
  const outcome = await runSsh(sshArgs(target, command), ctx.io.stderr, opts.sshBinary)
  if (outcome.hostKeyChanged) ctx.io.stderr.write(hostKeyWarning(name, target.host, target.port, target.knownHostsFile))
  return outcome.exitCode
}
