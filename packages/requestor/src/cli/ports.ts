/**
 * `golem-vm ports NAME` (the mappings as a table, or `--json`),
 * `golem-vm ports add NAME PORT...` and `golem-vm ports remove NAME PUBLIC_PORT`.
 *
 * @module
 */
import { addPorts, listPorts, removePort } from '../app/port-actions.js'
import type { VmView } from '../app/rental-actions.js'
import { describeMapping, parsePortAsks } from '../domain/ports.js'
import type { CommandContext } from './context.js'
import { vmAddress, type VmOptions } from './info.js'
import { printJson, say, table } from './output.js'

// The mappings for people: one row each, the address ready to paste first.
function printPorts(ctx: CommandContext, view: VmView): void {
  const { vm } = view
  if (vm.ports.length === 0) {
    say(ctx.io, `VM "${vm.id}" has no ports mapped besides SSH. Add one: golem-vm ports add ${vm.id} 8080 (or 27015/udp)`)
    return
  }
  say(
    ctx.io,
    table(
      ['ADDRESS', 'GUEST', 'PROTOCOL', 'PUBLIC PORT'],
      vm.ports.map((m) => [describeMapping(m), String(m.guest), m.protocol, String(m.public_port)]),
    ),
  )
}

function show(ctx: CommandContext, view: VmView, json: boolean | undefined): number {
  if (json === true) printJson(ctx.io, { name: view.vm.id, ssh_port: view.vm.ssh_port, ports: view.vm.ports })
  else printPorts(ctx, view)
  return 0
}

/** Lists the VM's mappings; returns the exit code. */
export async function portsCommand(ctx: CommandContext, name: string, opts: VmOptions): Promise<number> {
  return show(ctx, await listPorts(ctx.deps, vmAddress(name, opts)), opts.json)
}

/** Maps more guest ports (`8080`, `27015/udp`); returns the exit code. */
export async function portsAddCommand(ctx: CommandContext, name: string, ports: string[], opts: VmOptions): Promise<number> {
  return show(ctx, await addPorts(ctx.deps, vmAddress(name, opts), parsePortAsks(ports)), opts.json)
}

/** Removes the mapping on a public port; returns the exit code. */
export async function portsRemoveCommand(ctx: CommandContext, name: string, publicPort: string, opts: VmOptions): Promise<number> {
  return show(ctx, await removePort(ctx.deps, vmAddress(name, opts), publicPort), opts.json)
}
