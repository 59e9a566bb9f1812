/**
 * The `golem-provider` command: reads the settings (flags, environment,
 * `.env`), then runs a sub-command. The only module besides `cli/` that prints.
 *
 * @module
 */
import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseEnv } from 'node:util'
import { Command, Option } from 'commander'
import { loadConfig, type Config } from './config.js'
import { settingFlags } from './settings.js'
import { PortStatusDisplay } from './cli/port-status-view-display.js'
import { portVerificationMode, StartupError, startProvider } from './compose.js'
import { ProviderError } from './domain/errors.js'
import { AdminClient, describe, localBaseUrl } from './cli/admin-client.js'
import { IdentityError, loadOrCreateIdentity } from './infra/identity/eth-identity.js'
import { createServiceLogger } from '@golem-vm/common/logger'
import { VERSION } from './version.js'

// Flags of `start`: every setting but the secrets, generated from settings.ts with its help and default.
const START_FLAGS = settingFlags().map(({ flag, help, setting }) => ({ option: new Option(flag, help), setting }))

const envFilePath = (): string => process.env.GOLEM_PROVIDER_ENV_FILE ?? '.env'

function readDotenv(path = envFilePath()): Record<string, string | undefined> {
  return existsSync(path) ? parseEnv(readFileSync(path, 'utf8')) : {}
}

function configFrom(opts: Record<string, string | undefined>): Config {
  const flags = Object.fromEntries(START_FLAGS.map(({ option, setting }) => [setting, opts[option.attributeName()]]))
  const result = loadConfig({ env: process.env, dotenv: readDotenv(), flags })
  if (!result.ok) {
    console.error(`golem-provider: the configuration has ${result.problems.length} problem(s):\n${result.problems.map((p) => `  - ${p}`).join('\n')}`)
    process.exit(2)
  }
  // The passphrase stays in the configuration only: child processes (multipass, qemu) must not inherit it.
  delete process.env.GOLEM_PROVIDER_KEY_PASSPHRASE
  return result.config
}

async function start(opts: Record<string, string | undefined>): Promise<void> {
  const config = configFrom(opts)
  const log = createServiceLogger('golem-provider', config.logLevel, config.logFormat, process.stdout.isTTY)
  // Without a terminal stdout carries the JSON log; the display's plain lines go to stderr.
  const portDisplay = new PortStatusDisplay(process.stdout.isTTY ? process.stdout : process.stderr, { servers: config.portCheckServers, mode: portVerificationMode(config), vmLimit: config.maxVms })
  let provider
  try {
    provider = await startProvider(config, log, { portDisplay })
  } catch (error) {
    portDisplay.stop()
    if (!(error instanceof StartupError || error instanceof ProviderError)) throw error
    log.fatal(error.message)
    log.flush()
    console.error(`golem-provider: cannot start: ${error.message}`)
    process.exit(1)
  }
  const running = provider
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    log.info({ signal }, 'shutting down')
    running.stop().then(() => process.exit(0), (error: unknown) => {
      log.error({ err: error }, 'shutdown failed')
      process.exit(1)
    })
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
}

async function status(opts: { json?: boolean; url?: string }): Promise<void> {
  const config = configFrom({})
  const base = opts.url ?? localBaseUrl(config)
  const response = await fetch(`${base}/api/v1/provider/status`, { signal: AbortSignal.timeout(10_000) }).catch((error: unknown) => {
    console.error(`golem-provider: no provider answers at ${base} (${(error as Error).message}); is it running?`)
    process.exit(1)
  })
  const body: unknown = await response.json()
  if (opts.json === true || !response.ok) {
    console.log(JSON.stringify(body, null, 2))
    process.exitCode = response.ok ? 0 : 1
    return
  }
  const { printStatus } = await import('./cli/status-view.js')
  printStatus(body)
}

// Prints the provider id and nothing else on stdout (notices go to stderr); creates the key on first use.
async function identity(): Promise<void> {
  const config = configFrom({})
  try {
    const id = await loadOrCreateIdentity({ keyDir: config.keyDir, providerId: config.providerId, passphrase: config.keyPassphrase })
    for (const notice of id.notices) console.error(`golem-provider: ${notice}`)
    console.log(id.address)
  } catch (error) {
    if (!(error instanceof IdentityError)) throw error
    console.error(`golem-provider: ${error.message}`)
    process.exit(1)
  }
}

// Lists every VM of the running provider (the operator sees all renters' VMs).
async function vms(opts: { json?: boolean }): Promise<void> {
  const client = await AdminClient.fromConfig(configFrom({}))
  const list = await client.list()
  if (opts.json === true) {
    console.log(JSON.stringify(list, null, 2))
    return
  }
  if (list.length === 0) console.log('no VMs')
  for (const vm of list) {
    console.log(`${vm.name.padEnd(24)} ${vm.status.padEnd(9)} ${vm.resources.cpu} CPU ${vm.resources.memory} GB ${vm.resources.storage} GB  ssh port ${vm.ssh_port ?? '-'}${vm.error_message === null ? '' : `  (${vm.error_message})`}`)
  }
}

// Runs one lifecycle action on any VM as the operator, and prints the result.
function vmAction(method: 'POST' | 'DELETE', suffix: string) {
  return async (name: string): Promise<void> => {
    const client = await AdminClient.fromConfig(configFrom({}))
    const { status: code, body } = await client.request(method, `/vms/${encodeURIComponent(name)}${suffix}`)
    if (code >= 400) {
      console.error(`golem-provider: ${describe(body)}`)
      process.exit(1)
    }
    console.log(JSON.stringify(body, null, 2))
  }
}

// The service reads the environment file in use now (or the system-wide one when there is none here).
async function installServiceAction(opts: { print?: boolean; start?: boolean; environmentFile?: string }): Promise<void> {
  const { installServiceCommand } = await import('./cli/service-command.js')
  const current = process.env.GOLEM_PROVIDER_ENV_FILE ?? (existsSync('.env') ? '.env' : '/etc/golem-provider.env')
  const envFile = resolve(opts.environmentFile ?? current)
  const input = {
    config: configFrom({}), envFile, envFileSettings: readDotenv(envFile), node: process.execPath,
    shellSettings: Object.keys(process.env).filter((name) => name.startsWith('GOLEM_PROVIDER_')),
  }
  await serviceAction(() => installServiceCommand(input, { print: opts.print === true, start: opts.start !== false }))
}

async function uninstallServiceAction(): Promise<void> {
  const { uninstallServiceCommand } = await import('./cli/service-command.js')
  await serviceAction(uninstallServiceCommand)
}

async function serviceAction(action: () => Promise<void>): Promise<void> {
  const { ServiceError } = await import('./infra/systemd/service-install.js')
  try {
    await action()
  } catch (error) {
    if (!(error instanceof ServiceError)) throw error
    console.error(`golem-provider: ${error.message}`)
    process.exit(1)
  }
}

const program = new Command('golem-provider').description('Rent out VMs on the Golem Network.').version(VERSION)
const startCmd = program.command('start').description('Run the provider daemon (API, SSH proxies, advertiser).')
for (const { option } of START_FLAGS) startCmd.addOption(option)
startCmd.action(start)
program
  .command('status')
  .description('Show the running provider: capacity, VMs, ports.')
  .option('--json', 'print the status endpoint\'s JSON')
  .option('--url <url>', 'provider base URL (default from the configuration)')
  .action(status)
program.command('vms').description('List every VM of the running provider (uses the admin token).').option('--json', 'print JSON').action(vms)
program.command('stop-vm <name>').description('Stop a VM as the operator.').action(vmAction('POST', '/stop'))
program.command('start-vm <name>').description('Start a VM as the operator.').action(vmAction('POST', '/start'))
program.command('delete-vm <name>').description('Delete a VM as the operator; frees everything it held.').action(vmAction('DELETE', ''))
program
  .command('install-service')
  .description('Run the provider at boot: write the systemd unit, enable and (re)start it. Running VMs are never stopped.')
  .option('--print', 'print the unit and change nothing')
  .option('--no-start', 'enable the unit but do not (re)start it now')
  .option('--environment-file <path>', 'the settings file the service reads (default: GOLEM_PROVIDER_ENV_FILE, else ./.env if it exists, else /etc/golem-provider.env)')
  .action(installServiceAction)
program.command('uninstall-service').description('Stop and disable the systemd unit and remove it. VMs keep running; the data dir is kept.').action(uninstallServiceAction)
program.command('identity').description('Print the provider id: the address of the provider key (created on first use).').action(identity)
await program.parseAsync()
