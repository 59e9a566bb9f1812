/**
 * `golem-vm create`: rents a VM and prints how to log in to it.
 *
 * @module
 */
import { createRental, type CreatePhase, type CreateRequest } from '../app/create-rental.js'
import { RequestorError } from '../domain/errors.js'
import { describeMapping, parsePortAsks } from '../domain/ports.js'
import { sshCommandLine } from '../infra/ssh.js'
import type { CommandContext, JsonOption } from './context.js'
import { describeProvider, describeResources, note, printJson, say } from './output.js'
import { interruptible, startProgress, type Progress } from './progress.js'

/** Options of `golem-vm create`, as typed (`--port` once per port). */
export type CreateOptions = Omit<CreateRequest, 'name' | 'ports'> & JsonOption & { readonly port?: readonly string[] | undefined }

/** Creates the VM `name`; returns the exit code. */
export async function createCommand(ctx: CommandContext, name: string, opts: CreateOptions): Promise<number> {
  let progress: Progress | undefined
  const onPhase = (_phase: CreatePhase, detail: string): void => {
    if (progress === undefined) progress = startProgress(ctx.io, detail)
    else progress.phase(detail)
  }
  const { port, ...rest } = opts
  const ports = parsePortAsks(port ?? [])
  let result
  try {
    result = await interruptible((signal) => createRental(ctx.deps, { ...rest, ports, name }, { signal, onPhase }))
  } catch (error) {
    progress?.stop()
    if (error instanceof RequestorError && error.code === 'INTERRUPTED') note(ctx.io, 'interrupted while waiting for the provider')
    throw error
  }
  progress?.stop()
  for (const notice of result.notices) note(ctx.io, notice)
  const { rental } = result
  const key = await ctx.deps.sshKey(false)
  const knownHostsFile = await ctx.deps.knownHostsFile(name)
  const command = sshCommandLine({
    privateKeyPath: key.privateKeyPath,
    knownHostsFile,
    host: rental.ssh_host,
    port: rental.ssh_port ?? 22,
    user: rental.ssh_user,
    pinned: (rental.ssh_host_keys?.length ?? 0) > 0,
  })
  if (opts.json === true) {
    printJson(ctx.io, { rental, ssh_command: command, ports: result.vm.ports })
    return 0
  }
  say(ctx.io, `VM "${rental.name}" is ${rental.status} on provider ${describeProvider(rental)}: ${describeResources(rental.resources)}, image ${rental.image}.`)
  say(ctx.io, 'Log in with:')
  say(ctx.io, `  golem-vm ssh ${rental.name}`)
  say(ctx.io, 'or with plain ssh:')
  say(ctx.io, `  ${command}`)
  if (rental.payment !== undefined) {
    const p = result.vm.payment
    say(
      ctx.io,
      `Paid through stream ${rental.payment.stream_id}${p?.paid_until == null ? '' : ` until ${p.paid_until}`}; golem-vm topup ${rental.name} --hours N adds time.`,
    )
  }
  if (result.vm.ports.length > 0) {
    say(ctx.io, 'Mapped ports:')
    for (const mapping of result.vm.ports) say(ctx.io, `  ${describeMapping(mapping)}`)
  }
  return 0
}
