/**
 * The command line of `golem-vm`: every command, argument and option, with
 * its help text. Built apart from `main.ts` so tests can check it (every
 * flag a message names must exist) without running anything. Command
 * modules are loaded only when their command runs, so `--help` is quick.
 *
 * @module
 */
import { Command, Option } from 'commander'
import type { CommandContext } from './context.js'
import type { VmOptions } from './info.js'
import { VERSION } from '../version.js'

/** A command's body: runs with the context and its arguments, resolves with the exit code. */
export type Body<A extends unknown[]> = (ctx: CommandContext, ...args: A) => Promise<number>

/** Makes a Commander action from a command body, loaded on demand; `json` says whether errors are printed as JSON. */
export type ActionFactory = <A extends unknown[]>(json: (...args: A) => boolean, load: () => Promise<Body<A>>) => (...args: A) => Promise<void>

/** The global options (before or after the command). */
export interface GlobalOptions {
  readonly dataDir?: string
  readonly discoveryUrl?: string
  readonly allowPrivateAddresses?: boolean
}

const jsonOf = (opts: { json?: boolean }): boolean => opts.json === true
const collect = (value: string, previous: string[]): string[] => [...previous, value]
const jsonOption = (): Option => new Option('--json', 'print the result as JSON on stdout (shapes in the README); errors too')
const providerIdOption = (what: string): Option => new Option('--provider-id <id>', `${what} (for a VM not recorded in the data dir)`)
const allowUnverifiedOption = (what: string): Option =>
  new Option(
    '--allow-unverified',
    `${what} even when the discovery service did not verify its advertisement or the provider does not sign its answers (you trust it yourself)`,
  )

/** Builds the `golem-vm` program; `action` turns each command body into what Commander runs. */
export function buildProgram(action: ActionFactory): Command {
  const program = new Command('golem-vm')
    .description('Rent virtual machines from providers on the Golem Network.')
    .version(VERSION)
    .option('--data-dir <dir>', "the requestor's own directory: keys, identity, rentals [GOLEM_REQUESTOR_DATA_DIR, default ~/.golem/requestor]")
    .option('--discovery-url <url>', 'the discovery service [GOLEM_REQUESTOR_DISCOVERY_URL, default http://195.201.39.101:9001]')
    .option(
      '--allow-private-addresses',
      'connect to providers and VMs at loopback, private or other non-public addresses (a local test network) [also GOLEM_REQUESTOR_ENVIRONMENT=development]',
    )
    .showHelpAfterError('(golem-vm --help lists the commands; golem-vm <command> --help their options)')
    .exitOverride()

  program
    .command('providers')
    .description('List providers with fresh advertisements that match the filters.')
    .option('--cpu <n>', 'at least this many free CPU cores')
    .option('--memory <gb>', 'at least this much free memory, in GB')
    .option('--storage <gb>', 'at least this much free storage, in GB')
    .option('--country <cc>', 'only providers in this country (ISO code such as SE)')
    .option('--isolated', 'only providers that say (in their signed advertisement) that they wall VMs off from their host, LAN and each other')
    .option('--include-unverified', 'also show advertisements the discovery service did not verify (marked VERIFIED NO)')
    .addOption(jsonOption())
    .action(action(jsonOf, async () => (await import('./providers.js')).providersCommand))

  program
    .command('create')
    .description("Rent a VM from a provider, installing this requestor's SSH key in it; prints how to log in.")
    .argument('<name>', 'a name for the VM: 3-64 of a-z, 0-9 and "-"')
    .requiredOption('--provider-id <id>', "the provider's id (its Ethereum address), as golem-vm providers lists it")
    .option('--size <size>', 'small (1 CPU, 1 GB, 10 GB), medium (2, 4, 20), large (4, 8, 40) or xlarge (8, 16, 80)')
    .option('--cpu <n>', 'CPU cores: 1, 2, 4, 8 or 16 (with --memory and --storage, instead of --size)')
    .option('--memory <gb>', 'memory in GB: 1, 2, 4, 8, 16, 32 or 64')
    .option('--storage <gb>', 'disk in GB, at least 10')
    .option('--image <image>', "image from the provider's catalogue (default 24.04, Ubuntu 24.04)")
    .option(
      '--port <port>',
      'also make this guest port reachable from outside, on a public port the provider picks: 8080, 8080/tcp or 27015/udp (repeat for more)',
      collect,
      [],
    )
    .option(
      '--hours <hours>',
      'on a priced provider: pay this many hours up front through a payment stream (decimals allowed: 0.05 is 3 minutes; needs GOLEM_REQUESTOR_PAYMENT_RPC_URL)',
    )
    .addOption(allowUnverifiedOption('rent from the provider'))
    .addOption(jsonOption())
    .action(
      action(
        (_name: string, opts: { json?: boolean }) => jsonOf(opts),
        async () => (await import('./create.js')).createCommand,
      ),
    )

  program
    .command('topup')
    .description(
      'Pay for more time of a VM on a priced provider: adds to its payment stream (a VM stopped because its paid time ran out is started again by the provider).',
    )
    .argument('<name>', 'the VM')
    .requiredOption('--hours <hours>', 'how many hours more (decimals allowed)')
    .addOption(jsonOption())
    .action(
      action(
        (_name: string, opts: { json?: boolean }) => jsonOf(opts),
        async () => (await import('./payments.js')).topupCommand,
      ),
    )

  program
    .command('identity')
    .description('Print your renter address: it owns your VMs and pays for them (send it tokens and gas to rent from priced providers).')
    .addOption(jsonOption())
    .action(action(jsonOf, async () => (await import('./payments.js')).identityCommand))

  const ports = program
    .command('ports')
    .description(
      "Show, add or remove a VM's mapped ports (besides SSH): golem-vm ports NAME, golem-vm ports add NAME 8080 27015/udp, golem-vm ports remove NAME PUBLIC_PORT.",
    )
  const portCommand = (name: string, description: string, isDefault = false): Command =>
    ports
      .command(name, { isDefault })
      .description(description)
      .argument('<name>', 'the VM')
      .addOption(providerIdOption('the provider the VM is on'))
      .addOption(allowUnverifiedOption('use the provider given with --provider-id'))
      .addOption(jsonOption())
  portCommand('list', "List the VM's mappings: where to connect for each guest port (the default of golem-vm ports NAME).", true).action(
    action(
      (_name: string, opts: VmOptions) => jsonOf(opts),
      async () => (await import('./ports.js')).portsCommand,
    ),
  )
  portCommand('add', 'Map more guest ports of a running or stopped VM, each on a public port the provider picks.')
    .argument('<ports...>', 'guest ports: 8080, 8080/tcp or 27015/udp')
    .action(
      action(
        (_name: string, _ports: string[], opts: VmOptions) => jsonOf(opts),
        async () => (await import('./ports.js')).portsAddCommand,
      ),
    )
  portCommand('remove', 'Remove a mapping; its public port is closed and freed.')
    .argument('<public-port>', 'the public port of the mapping, as golem-vm ports NAME lists it')
    .action(
      action(
        (_name: string, _port: string, opts: VmOptions) => jsonOf(opts),
        async () => (await import('./ports.js')).portsRemoveCommand,
      ),
    )

  program
    .command('list')
    .description('List your VMs as recorded in the data dir (no network), or on one provider with --provider-id.')
    .addOption(providerIdOption('ask this provider for your VMs on it'))
    .addOption(allowUnverifiedOption('ask the provider'))
    .addOption(jsonOption())
    .action(action(jsonOf, async () => (await import('./list.js')).listCommand))

  program
    .command('ssh')
    .description("Log in to a VM with ssh, or run a command (golem-vm ssh NAME -- COMMAND...); exits with ssh's own status.")
    .argument('<name>', 'the VM')
    .argument('[command...]', 'a command to run instead of a login shell (put it after --)')
    .action(
      action(
        (_name: string, _command: string[]) => false,
        async () => {
          const { sshCommand } = await import('./ssh.js')
          return (ctx: CommandContext, name: string, command: string[]) => sshCommand(ctx, name, command)
        },
      ),
    )

  const vmCommands: [string, string, () => Promise<Body<[string, VmOptions]>>][] = [
    ['info', 'Show a VM: its status on the provider, resources and how to log in.', async () => (await import('./info.js')).infoCommand],
    ['start', 'Start a stopped VM; waits until it runs (same SSH port as before).', async () => (await import('./start.js')).startCommand],
    ['stop', 'Stop a running VM; its disk and SSH port are kept.', async () => (await import('./stop.js')).stopCommand],
    [
      'destroy',
      "Delete a VM and everything on it, and forget it here; a paid VM's payment stream is ended and the unpaid rest comes back.",
      async () => (await import('./destroy.js')).destroyCommand,
    ],
  ]
  for (const [name, description, load] of vmCommands) {
    program
      .command(name)
      .description(description)
      .argument('<name>', 'the VM')
      .addOption(providerIdOption('the provider the VM is on'))
      .addOption(allowUnverifiedOption('use the provider given with --provider-id'))
      .addOption(jsonOption())
      .action(action((_name: string, opts: VmOptions) => jsonOf(opts), load))
  }
  return program
}
