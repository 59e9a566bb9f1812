/**
 * The `golem-vm` command: parses the command line, loads the settings,
 * composes the parts and runs one command. Every failure ends with a message
 * that says what to do and a documented exit code (see the README). Command
 * modules are loaded only when their command runs, so `--help` is quick.
 *
 * @module
 */
import { homedir } from 'node:os'
import { Command, CommanderError, Option } from 'commander'
import type { CommandContext } from './cli/context.js'
import type { VmOptions } from './cli/info.js'
import { reportError, type Io } from './cli/output.js'
import { EXIT_CODES, RequestorError } from './domain/errors.js'
import { VERSION } from './version.js'

const io: Io = { stdout: process.stdout, stderr: process.stderr }

interface GlobalOptions {
  readonly dataDir?: string
  readonly discoveryUrl?: string
}

// Builds the context from the global flags and the environment; configuration problems are usage errors.
async function contextOf(program: Command): Promise<CommandContext> {
  const [{ ConfigError, loadConfig }, { compose }] = await Promise.all([import('./config.js'), import('./compose.js')])
  try {
    const { config, warnings } = loadConfig(process.env, { flags: program.opts<GlobalOptions>(), home: homedir(), cwd: process.cwd() })
    for (const warning of warnings) io.stderr.write(`golem-vm: warning: ${warning}\n`)
    return { deps: compose(config), io }
  } catch (error) {
    if (error instanceof ConfigError) throw new RequestorError('CONFIG_INVALID', error.message)
    throw error
  }
}

type Body<A extends unknown[]> = (ctx: CommandContext, ...args: A) => Promise<number>

// Runs a command body (loaded on demand); whatever it throws becomes a message and an exit code.
function action<A extends unknown[]>(json: (...args: A) => boolean, load: () => Promise<Body<A>>) {
  return async (...args: A): Promise<void> => {
    try {
      const [body, ctx] = await Promise.all([load(), contextOf(program)])
      process.exitCode = await body(ctx, ...args)
    } catch (error) {
      process.exitCode = reportError(io, error, json(...args))
    }
  }
}

const jsonOf = (opts: { json?: boolean }): boolean => opts.json === true
const jsonOption = (): Option => new Option('--json', 'print the result as JSON on stdout (shapes in the README); errors too')
const providerIdOption = (what: string): Option => new Option('--provider-id <id>', `${what} (for a VM not recorded in the data dir)`)

const program = new Command('golem-vm')
  .description('Rent virtual machines from providers on the Golem Network.')
  .version(VERSION)
  .option('--data-dir <dir>', 'the requestor\'s own directory: keys, identity, rentals [GOLEM_REQUESTOR_DATA_DIR, default ~/.golem/requestor]')
  .option('--discovery-url <url>', 'the discovery service [GOLEM_REQUESTOR_DISCOVERY_URL, default http://195.201.39.101:9001]')
  .showHelpAfterError('(golem-vm --help lists the commands; golem-vm <command> --help their options)')
  .exitOverride()

program.command('providers')
  .description('List providers with fresh advertisements that match the filters.')
  .option('--cpu <n>', 'at least this many free CPU cores')
  .option('--memory <gb>', 'at least this much free memory, in GB')
  .option('--storage <gb>', 'at least this much free storage, in GB')
  .option('--country <cc>', 'only providers in this country (ISO code such as SE)')
  .option('--include-unverified', 'also show advertisements the discovery service did not verify (marked VERIFIED NO)')
  .addOption(jsonOption())
  .action(action(jsonOf, async () => (await import('./cli/providers.js')).providersCommand))

program.command('create')
  .description('Rent a VM from a provider, installing this requestor\'s SSH key in it; prints how to log in.')
  .argument('<name>', 'a name for the VM: 3-64 of a-z, 0-9 and "-"')
  .requiredOption('--provider-id <id>', 'the provider\'s id (its Ethereum address), as golem-vm providers lists it')
  .option('--size <size>', 'small (1 CPU, 1 GB, 10 GB), medium (2, 4, 20), large (4, 8, 40) or xlarge (8, 16, 80)')
  .option('--cpu <n>', 'CPU cores: 1, 2, 4, 8 or 16 (with --memory and --storage, instead of --size)')
  .option('--memory <gb>', 'memory in GB: 1, 2, 4, 8, 16, 32 or 64')
  .option('--storage <gb>', 'disk in GB, at least 10')
  .option('--image <image>', 'image from the provider\'s catalogue (default 24.04, Ubuntu 24.04)')
  .option('--allow-unverified', 'rent from a provider whose advertisement the discovery service did not verify')
  .addOption(jsonOption())
  .action(action((_name: string, opts: { json?: boolean }) => jsonOf(opts), async () => (await import('./cli/create.js')).createCommand))

program.command('list')
  .description('List your VMs as recorded in the data dir (no network), or on one provider with --provider-id.')
  .addOption(providerIdOption('ask this provider for your VMs on it'))
  .addOption(jsonOption())
  .action(action(jsonOf, async () => (await import('./cli/list.js')).listCommand))

program.command('ssh')
  .description('Log in to a VM with ssh, or run a command (golem-vm ssh NAME -- COMMAND...); exits with ssh\'s own status.')
  .argument('<name>', 'the VM')
  .argument('[command...]', 'a command to run instead of a login shell (put it after --)')
  .action(action((_name: string, _command: string[]) => false, async () => {
    const { sshCommand } = await import('./cli/ssh.js')
    return (ctx: CommandContext, name: string, command: string[]) => sshCommand(ctx, name, command)
  }))

const vmCommands: [string, string, () => Promise<Body<[string, VmOptions]>>][] = [
  ['info', 'Show a VM: its status on the provider, resources and how to log in.', async () => (await import('./cli/info.js')).infoCommand],
  ['start', 'Start a stopped VM; waits until it runs (same SSH port as before).', async () => (await import('./cli/start.js')).startCommand],
  ['stop', 'Stop a running VM; its disk and SSH port are kept.', async () => (await import('./cli/stop.js')).stopCommand],
  ['destroy', 'Delete a VM and everything on it, and forget it here.', async () => (await import('./cli/destroy.js')).destroyCommand],
]
for (const [name, description, load] of vmCommands) {
  program.command(name)
    .description(description)
    .argument('<name>', 'the VM')
    .addOption(providerIdOption('the provider the VM is on'))
    .addOption(jsonOption())
    .action(action((_name: string, opts: VmOptions) => jsonOf(opts), load))
}

try {
  await program.parseAsync()
} catch (error) {
  if (!(error instanceof CommanderError)) throw error
  // Help and version end with 0; every usage error with 2.
  process.exitCode = error.exitCode === 0 ? EXIT_CODES.OK : EXIT_CODES.USAGE
}
