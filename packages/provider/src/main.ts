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
import { AdminClient, answerError, apiRequest, CliError, localBaseUrl } from './cli/admin-client.js'
import { formatTokenAmount, ProviderEarnings, WithdrawResult } from '@golem-vm/protocol'
import { IdentityError, loadOrCreateIdentity } from './infra/identity/eth-identity.js'
import { RecentLogs } from './infra/logs/recent-logs.js'
import { createServiceLogger } from '@golem-vm/common/logger'
import { stopOnSignals } from '@golem-vm/common'
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
  // The dashboard shows the last 100 log events; the logger's tap keeps them.
  const recent = new RecentLogs(100)
  const log = createServiceLogger('golem-provider', config.logLevel, config.logFormat, process.stdout.isTTY, (level, fields, msg) => {
    recent.record(level, fields, msg)
  })
  // Without a terminal stdout carries the JSON log; the display's plain lines go to stderr.
  const portDisplay = new PortStatusDisplay(process.stdout.isTTY ? process.stdout : process.stderr, {
    servers: config.portCheckServers,
    mode: portVerificationMode(config),
    vmLimit: config.maxVms,
  })
  let provider
  try {
    provider = await startProvider(config, log, { portDisplay, recentLogs: () => recent.list() })
  } catch (error) {
    portDisplay.stop()
    // What the operator can fix is one line with its code; only a defect carries its stack.
    if (error instanceof StartupError) log.fatal({ code: error.code }, `cannot start: ${error.message}`)
    else log.fatal({ err: error }, 'cannot start')
    log.flush()
    throw error instanceof StartupError ? new CliError(error.code, `cannot start: ${error.message}`) : error
  }
  // Operations in flight are undone first (each within its deadline), so stopping takes as long as it takes; a second signal ends it at once.
  const running = provider
  stopOnSignals({ logger: log, stop: () => running.stop() })
}

// The operator's earnings in token units (exact), from the running provider.
async function earnings(opts: { json?: boolean }): Promise<void> {
  const answer = await (await AdminClient.fromConfig(configFrom({}))).request('GET', '/provider/earnings')
  if (answer.status !== 200) throw answerError(answer)
  if (opts.json === true) {
    console.log(JSON.stringify(answer.body, null, 2))
    return
  }
  const body = ProviderEarnings.parse(answer.body)
  if (body.pricing === null) {
    console.log('this provider is free (no GOLEM_PROVIDER_PRICE_* set): nothing to earn')
    return
  }
  const p = body.pricing
  const amount = (units: string): string => `${formatTokenAmount(BigInt(units), p.token_decimals)} ${p.token_symbol}`
  for (const s of body.streams)
    console.log(
      `${s.vm_id.padEnd(40)} stream ${s.stream_id.padEnd(6)} earned ${amount(s.earned)}  withdrawn ${amount(s.withdrawn)}  pending ${amount(s.pending)}${s.vm_exists ? '' : '  (VM deleted)'}`,
    )
  console.log(`total: earned ${amount(body.total.earned)}, withdrawn ${amount(body.total.withdrawn)}, pending ${amount(body.total.pending)}`)
}

async function withdrawEarnings(opts: { json?: boolean }): Promise<void> {
  const answer = await (await AdminClient.fromConfig(configFrom({}))).request('POST', '/provider/earnings/withdraw')
  if (answer.status !== 200) throw answerError(answer)
  const body = WithdrawResult.parse(answer.body)
  console.log(opts.json === true ? JSON.stringify(body, null, 2) : `withdrew ${body.total} base units from ${body.withdrawn.length} stream(s)`)
}

async function status(opts: { json?: boolean; url?: string }): Promise<void> {
  const config = configFrom({})
  const answer = await apiRequest(opts.url ?? localBaseUrl(config), 'GET', '/provider/status', { timeoutMs: 10_000 })
  if (answer.status !== 200) throw answerError(answer)
  if (opts.json === true) {
    console.log(JSON.stringify(answer.body, null, 2))
    return
  }
  const { printStatus } = await import('./cli/status-view.js')
  printStatus(answer.body)
}

// Prints the provider id and nothing else on stdout (notices go to stderr); creates the key on first use.
async function identity(): Promise<void> {
  const config = configFrom({})
  const id = await loadOrCreateIdentity({ keyDir: config.keyDir, providerId: config.providerId, passphrase: config.keyPassphrase })
  for (const notice of id.notices) console.error(`golem-provider: ${notice}`)
  console.log(id.address)
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
    console.log(
      `${vm.name.padEnd(24)} ${vm.status.padEnd(9)} ${vm.resources.cpu} CPU ${vm.resources.memory} GB ${vm.resources.storage} GB  ssh port ${vm.ssh_port ?? '-'}${vm.error_message === null ? '' : `  (${vm.error_message})`}`,
    )
  }
}

// Runs one lifecycle action on any VM as the operator, and prints the result.
function vmAction(method: 'POST' | 'DELETE', suffix: string) {
  return async (name: string): Promise<void> => {
    const client = await AdminClient.fromConfig(configFrom({}))
    const answer = await client.request(method, `/vms/${encodeURIComponent(name)}${suffix}`)
    if (answer.status >= 400) throw answerError(answer)
    console.log(JSON.stringify(answer.body, null, 2))
  }
}

// The service reads the environment file in use now (or the system-wide one when there is none here).
async function installServiceAction(opts: { print?: boolean; start?: boolean; environmentFile?: string }): Promise<void> {
  const { installServiceCommand } = await import('./cli/service-command.js')
  const current = process.env.GOLEM_PROVIDER_ENV_FILE ?? (existsSync('.env') ? '.env' : '/etc/golem-provider.env')
  const envFile = resolve(opts.environmentFile ?? current)
  const input = {
    config: configFrom({}),
    envFile,
    envFileSettings: readDotenv(envFile),
    node: process.execPath,
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
    throw error instanceof ServiceError ? new CliError('SERVICE_FAILED', error.message) : error
  }
}

// Removes the provider's VM network from the host and says what went.
async function uninstallNetwork(opts: { force?: boolean }): Promise<void> {
  const { uninstallNetworkCommand } = await import('./cli/network-command.js')
  const removed = await uninstallNetworkCommand(configFrom({}), { force: opts.force === true })
  if (removed.length === 0) {
    console.log('nothing to remove: this provider has no bridge, TAP, nftables table or changed host setting here')
    return
  }
  for (const line of removed) console.log(`removed ${line}`)
  console.log('the VM network is uninstalled; the next start sets it up again')
}

// What a failed command prints: its message and code, never a stack (a defect says so and points at the log level).
function report(error: unknown): void {
  const known = error instanceof CliError || error instanceof IdentityError || error instanceof ProviderError
  const message = error instanceof Error ? error.message : String(error)
  console.error(known ? `golem-provider: ${message} [${error.code}]` : `golem-provider: internal error: ${message} [INTERNAL]`)
}

// Every command runs through this: whatever it throws is reported once, with exit status 1.
function command<A extends unknown[]>(run: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args) => {
    try {
      await run(...args)
    } catch (error) {
      report(error)
      process.exitCode = 1
    }
  }
}

const program = new Command('golem-provider').description('Rent out VMs on the Golem Network.').version(VERSION)
const startCmd = program.command('start').description('Run the provider daemon (API, SSH proxies, advertiser).')
for (const { option } of START_FLAGS) startCmd.addOption(option)
startCmd.action(command(start))
program
  .command('status')
  .description('Show the running provider: capacity, VMs, ports.')
  .option('--json', "print the status endpoint's JSON")
  .option('--url <url>', 'provider base URL (default from the configuration)')
  .action(command(status))
const earningsCmd = program
  .command('earnings')
  .description('What paid VMs earned: per stream and in total, earned, withdrawn and pending (uses the admin token).')
  .option('--json', 'print JSON')
  .action(command(earnings))
earningsCmd
  .command('withdraw')
  .description("Withdraw every vested payment to the provider's address now.")
  .option('--json', 'print JSON')
  .action(command(withdrawEarnings))
program.command('vms').description('List every VM of the running provider (uses the admin token).').option('--json', 'print JSON').action(command(vms))
program
  .command('stop-vm <name>')
  .description('Stop a VM as the operator.')
  .action(command(vmAction('POST', '/stop')))
program
  .command('start-vm <name>')
  .description('Start a VM as the operator.')
  .action(command(vmAction('POST', '/start')))
program
  .command('delete-vm <name>')
  .description('Delete a VM as the operator; frees everything it held.')
  .action(command(vmAction('DELETE', '')))
program
  .command('install-service')
  .description('Run the provider at boot: write the systemd unit, enable and (re)start it. Running VMs are never stopped.')
  .option('--print', 'print the unit and change nothing')
  .option('--no-start', 'enable the unit but do not (re)start it now')
  .option(
    '--environment-file <path>',
    'the settings file the service reads (default: GOLEM_PROVIDER_ENV_FILE, else ./.env if it exists, else /etc/golem-provider.env)',
  )
  .action(command(installServiceAction))
program
  .command('uninstall-service')
  .description('Stop and disable the systemd unit and remove it. VMs keep running; the data dir is kept.')
  .action(command(uninstallServiceAction))
program
  .command('uninstall-network')
  .description(
    'Remove the isolated VM network from this host: the nftables tables, TAP devices and bridge, and the host settings the provider changed. The provider must be stopped.',
  )
  .option('--force', 'also when VMs still use it (they lose their network)')
  .action(command(uninstallNetwork))
program.command('identity').description('Print the provider id: the address of the provider key (created on first use).').action(command(identity))
await program.parseAsync()
