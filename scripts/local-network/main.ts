/**
 * `npm run local-network`: the whole VM on Golem network on this machine,
 * with a real VM at the end, in one command.
 *
 * 1. In a throw-away dir (mkdtemp), on 127.0.0.1: the discovery service, a
 *    port-check server, and a provider (QEMU with the test guest, built or
 *    reused; or Multipass when installed) that verifies its ports against
 *    the local checker, advertises to the local discovery service and
 *    accepts signed requests only.
 * 2. As a renter, with the real `golem-vm` CLI: lists the provider, rents a
 *    VM, logs in with `golem-vm ssh NAME -- hostname` (and `uname -a`), and
 *    prints what a person would type to do the same.
 * 3. Shows a live view of every component until Ctrl-C (or SIGTERM), or
 *    exits after the ssh with `--exit-after-ssh`; then stops everything in
 *    order (the VM through the CLI, the provider, the checker, discovery),
 *    checks that no process, VM or port of the run is left, and removes the
 *    dir. A second Ctrl-C kills everything at once.
 *
 * @module
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { delimiter, dirname, join, resolve } from 'node:path'
import { tmpdir } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { parseOptions, USAGE, type Options } from './args.js'
import { buildGuest, TEST_GUESTS } from './guest.js'
import {
  BINS,
  missingBuilds,
  modestOffer,
  startDiscovery,
  startPortChecker,
  startProvider,
  type RunPaths,
  type Started,
  type StartedProvider,
} from './network.js'
import { freePortRange, isListening } from '@golem-vm/common'
import { killAllChildren, type LogEntry } from './proc.js'
import { CliError, Renter } from './renter.js'
import { figures, Poller, renderBlock, summaries } from './status.js'
import { findRunProcesses, isAlive, signalAll } from './sweep.js'
import { seconds, Ui } from './ui.js'

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
/** Every process of a run carries this variable; QEMU (started with a minimal environment) is found by its working directory in the run's dir. */
const MARKER = 'LOCAL_NETWORK_RUN_ID'
/** Settings of the user's environment passed on to the provider; every other GOLEM_* and PORT_CHECKER_* is dropped. */
const PASS_THROUGH = [
  'GOLEM_PROVIDER_QEMU_ACCEL',
  'GOLEM_PROVIDER_QEMU_BINARY',
  'GOLEM_PROVIDER_QEMU_IMG_BINARY',
  'GOLEM_PROVIDER_MULTIPASS_BINARY_PATH',
  'GOLEM_PROVIDER_CREATE_TIMEOUT',
]
/** The provider's create timeout (s): how long a VM may boot. */
const CREATE_TIMEOUT_S = Number(process.env.GOLEM_PROVIDER_CREATE_TIMEOUT ?? 300) || 300
/** How long the clean-up waits for a create the renter left (interrupted) to end on the provider before deleting the VM. */
const BUSY_WAIT_MS = (CREATE_TIMEOUT_S + 60) * 1000
/** How long the whole clean-up may take before everything is killed. */
const CLEANUP_LIMIT_MS = BUSY_WAIT_MS + 3 * 60_000

/** The exit codes. */
const EXIT = { ok: 0, failed: 1, usage: 2, SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const

function findOnPath(name: string, extraDirs: readonly string[] = []): string | undefined {
  if (name.includes('/')) return existsSync(name) ? name : undefined
  for (const dir of [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...extraDirs]) {
    if (existsSync(join(dir, name))) return join(dir, name)
  }
  return undefined
}

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error))
const firstLine = (error: unknown): string => (errorText(error).split('\n')[0] ?? '').replace(/:$/, '')

const phasesText = (value: unknown): string => {
  if (typeof value !== 'object' || value === null) return ''
  return Object.entries(value as Record<string, unknown>)
    .filter((e): e is [string, number] => typeof e[1] === 'number')
    .map(([k, ms]) => `${k} ${seconds(ms)}`)
    .join(' · ')
}

class LocalNetwork {
  readonly ui: Ui
  readonly opts: Options
  readonly runId = randomUUID()
  readonly poller = new Poller()
  /** Fired by the first Ctrl-C/SIGTERM: every wait of the bring-up ends. */
  readonly stop = new AbortController()
  readonly started = performance.now()
  paths: RunPaths | undefined
  backend: 'qemu' | 'multipass' = 'qemu'
  image = ''
  stopSignal: NodeJS.Signals | undefined
  stopping = false
  /** True once the renter's ssh succeeded. */
  sessionDone = false
  discovery: Started | undefined
  checker: Started | undefined
  provider: StartedProvider | undefined
  renter: Renter | undefined
  readonly ports: number[] = []
  #lastAd = ''
  #lastSummaries = new Map<string, string>()

  constructor(ui: Ui, opts: Options) {
    this.ui = ui
    this.opts = opts
  }

  /** Environment of the services and the CLI: the user's without GOLEM_* settings, HOME and TMPDIR in the run's dir. */
  childEnv(): NodeJS.ProcessEnv {
    const paths = this.paths!
    const env: NodeJS.ProcessEnv = {}
    for (const [key, value] of Object.entries(process.env)) {
      if (value === undefined) continue
      if ((key.startsWith('GOLEM_') || key.startsWith('PORT_CHECKER_')) && !PASS_THROUGH.includes(key)) continue
      env[key] = value
    }
    return { ...env, HOME: join(paths.dir, 'home'), TMPDIR: join(paths.dir, 'tmp'), [MARKER]: this.runId }
  }

  requestStop(signal: NodeJS.Signals): void {
    this.stopSignal ??= signal
    this.stop.abort(new Error(`stopped by ${signal}`))
  }

  /** The whole bring-up and the renter's session; throws on any failure. */
  async run(): Promise<void> {
    const { ui, opts } = this
    const signal = this.stop.signal
    this.#choose()
    const dir = mkdtempSync(join(tmpdir(), 'golem-ln-'))
    const paths: RunPaths = { repoRoot: REPO_ROOT, dir, logs: join(dir, 'logs') }
    this.paths = paths
    for (const sub of ['logs', 'home', 'tmp']) mkdirSync(join(dir, sub), { mode: 0o700 })
    ui.log(`data dir: ${dir} (${opts.keep ? 'kept at the end (--keep)' : 'removed at the end; --keep keeps it'}; logs in ${paths.logs})`)
    ui.start(() => this.#block())
    this.poller.start(() => this.#plainChanges())

    let catalog: string | undefined
    if (this.backend === 'qemu' && TEST_GUESTS[this.image] !== undefined) {
      catalog = await buildGuest({
        repoRoot: REPO_ROOT,
        image: this.image,
        ui,
        logFile: join(paths.logs, 'test-guest-build.log'),
        env: { ...process.env, [MARKER]: this.runId },
        signal,
      })
    } else if (this.backend === 'qemu') {
      ui.warn(`image ${this.image} is not a test guest: the provider downloads it from its catalogue (needs internet)`)
    }

    const env = this.childEnv()
    const state = this.poller.state
    state.discovery.phase = 'starting'
    let step = ui.step('starting the discovery service')
    this.discovery = await startDiscovery(paths, env, signal).catch((error: unknown) => {
      step.fail(firstLine(error))
      state.discovery.phase = 'failed'
      throw error
    })
    Object.assign(state.discovery, { phase: 'up', url: this.discovery.url, pid: this.discovery.service.pid })
    this.ports.push(this.discovery.port)
    step.done(`${this.discovery.url} (pid ${this.discovery.service.pid ?? '?'})`)

    state.checker.phase = 'starting'
    step = ui.step('starting the port-check server')
    this.checker = await startPortChecker(paths, env, signal).catch((error: unknown) => {
      step.fail(firstLine(error))
      state.checker.phase = 'failed'
      throw error
    })
    Object.assign(state.checker, { phase: 'up', url: this.checker.url, pid: this.checker.service.pid })
    this.ports.push(this.checker.port)
    step.done(`${this.checker.url} (pid ${this.checker.service.pid ?? '?'})`)

    const range = await freePortRange(5)
    const apiPort = range.start
    const sshRange = { start: range.start + 1, end: range.end }
    const offer = modestOffer(dir)
    state.provider.phase = 'starting'
    step = ui.step(`starting the provider (${this.backend}; offer ${figures(offer)}; verifying its ports against the local checker)`)
    for (let p = range.start; p <= range.end; p++) this.ports.push(p)
    this.provider = await startProvider(
      paths,
      env,
      {
        backend: this.backend,
        catalog,
        discoveryUrl: this.discovery.url,
        checkerUrl: this.checker.url,
        apiPort,
        sshRange,
        offer,
      },
      signal,
      (entry) => this.#providerLog(entry),
    ).catch((error: unknown) => {
      step.fail(firstLine(error))
      state.provider.phase = 'failed'
      throw error
    })
    Object.assign(state.provider, { phase: 'up', url: this.provider.url, pid: this.provider.service.pid, id: this.provider.id })
    try {
      state.provider.adminToken = readFileSync(this.provider.adminTokenFile, 'utf8').trim()
    } catch (error) {
      ui.warn(`cannot read the provider's admin token (${errorText(error)}): the live view shows no VM list`)
    }
    step.done(`${this.provider.url} (pid ${this.provider.service.pid ?? '?'}), id ${this.provider.id}`)
    ui.log(
      `ports: provider API ${apiPort}, SSH ${sshRange.start}-${sshRange.end}, discovery ${this.discovery.port}, port checker ${this.checker.port} (all on 127.0.0.1)`,
    )
    await this.poller.poll()
    const report = state.provider.status?.ports.report
    if (report != null) {
      const api = report.api_port.external === true ? 'reachable' : 'NOT reachable'
      ui.log(
        `port verification (${report.mode}, by ${report.servers.map((s) => s.url).join(', ')}): API port ${report.api_port.port} ${api}; SSH ports reachable: ${report.ssh_ports.usable.join(', ') || 'none'}`,
      )
    }

    const renter = new Renter({
      repoRoot: REPO_ROOT,
      dataDir: join(dir, 'requestor'),
      discoveryUrl: this.discovery.url,
      baseEnv: env,
      cwd: dir,
      logFile: join(paths.logs, 'golem-vm.log'),
      onMessage: (line) => ui.log(ui.style.dim(`  │ ${line}`)),
    })
    this.renter = renter
    await this.#rent(renter, this.provider, signal)
  }

  // Backend and image from the options and what is installed.
  #choose(): void {
    const { opts, ui } = this
    const multipass = findOnPath('multipass', ['/snap/bin'])
    const wantsTestGuest = opts.image !== undefined && TEST_GUESTS[opts.image] !== undefined
    if (opts.backend !== 'auto') this.backend = opts.backend
    else this.backend = multipass !== undefined && !wantsTestGuest ? 'multipass' : 'qemu'
    this.image = opts.image ?? (this.backend === 'qemu' ? 'debian-12-test' : '24.04')
    const why =
      opts.backend !== 'auto'
        ? '--backend'
        : this.backend === 'multipass'
          ? 'multipass is installed'
          : wantsTestGuest
            ? `${this.image} is a QEMU test guest`
            : 'multipass is not installed'
    if (this.backend === 'qemu') {
      const binary = process.env.GOLEM_PROVIDER_QEMU_BINARY ?? 'qemu-system-x86_64'
      if (findOnPath(binary) === undefined)
        throw new Error(`${binary} is not installed: install QEMU (Debian: apt-get install qemu-system-x86 qemu-utils genisoimage), or Multipass`)
    } else if (multipass === undefined && process.env.GOLEM_PROVIDER_MULTIPASS_BINARY_PATH === undefined) {
      throw new Error('multipass is not installed (--backend multipass)')
    }
    ui.log(`backend: ${this.backend} (${why}); image: ${this.image}; VM name: ${opts.name}`)
  }

  // The renter's session: find the provider, rent a VM, log in, print the commands.
  async #rent(renter: Renter, provider: StartedProvider, signal: AbortSignal): Promise<void> {
    const { ui, opts } = this
    let step = ui.step("waiting for the provider's advertisement on the discovery service (golem-vm providers)")
    await renter.waitForProvider(provider.id, 90_000, signal).catch((error: unknown) => {
      step.fail(firstLine(error))
      throw error
    })
    step.done()
    const table = await renter.run(['providers'], { timeoutMs: 30_000, signal, quiet: true })
    if (table.code !== 0) throw new CliError(['providers'], table)
    ui.log(`$ golem-vm providers\n${table.stdout.trimEnd()}`)

    const name = opts.name
    step = ui.step(`renting VM "${name}" (--size small, --image ${this.image}): golem-vm create ${name} --provider-id ${provider.id.slice(0, 10)}…`)
    const off = provider.service.onLog((entry) => {
      if (entry.msg === 'vm reserved') step.update(`reserved, SSH port ${String(entry.sshPort)}; preparing the disk and booting`)
      if (entry.msg === 'qemu vm launched' || entry.msg === 'multipass vm launched') step.update('guest booted; waiting for its SSH server')
    })
    const created = await renter
      .create(name, provider.id, this.image, 6 * 60_000, signal)
      .catch((error: unknown) => {
        step.fail(firstLine(error))
        throw error
      })
      .finally(off)
    const { rental, sshCommand } = created
    step.done(`${rental.status}, SSH at ${rental.ssh_host}:${rental.ssh_port ?? '?'} as ${rental.ssh_user}`)

    step = ui.step(`logging in: golem-vm ssh ${name} -- hostname`)
    const host = await renter.ssh(name, ['hostname'], 60_000, signal)
    if (host.code !== 0) {
      step.fail(`exit ${host.code ?? 'signal'}`)
      throw new CliError(['ssh', name, '--', 'hostname'], host)
    }
    const uname = await renter.ssh(name, ['uname', '-a'], 30_000, signal)
    if (uname.code !== 0) {
      step.fail(`exit ${uname.code ?? 'signal'}`)
      throw new CliError(['ssh', name, '--', 'uname', '-a'], uname)
    }
    step.done()
    ui.log(`$ golem-vm ssh ${name} -- hostname\n${host.stdout.trimEnd()}\n$ golem-vm ssh ${name} -- uname -a\n${uname.stdout.trimEnd()}`)
    if (host.stdout.trim() !== name) ui.warn(`the VM's hostname is "${host.stdout.trim()}", not "${name}"`)

    const b = ui.style.bold
    ui.log(
      [
        '',
        b(
          `Do the same yourself (in another terminal, from ${REPO_ROOT}${opts.exitAfterSsh ? '; this run stops right away because of --exit-after-ssh' : ', while this runs'}):`,
        ),
        `  export ${renter.envText}`,
        '  npx golem-vm providers',
        `  npx golem-vm create ${name} --provider-id ${provider.id} --size small --image ${this.image}`,
        `  npx golem-vm ssh ${name} -- hostname`,
        `  npx golem-vm ssh ${name}              # a shell in the VM`,
        `  npx golem-vm destroy ${name}`,
        b('or log in with plain ssh:'),
        `  ${sshCommand}`,
        '',
      ].join('\n'),
    )
    this.sessionDone = true
  }

  // Provider log lines worth showing; everything is in logs/provider.log.
  #providerLog(e: LogEntry): void {
    const ui = this.ui
    const msg = typeof e.msg === 'string' ? e.msg : ''
    const level = typeof e.level === 'number' ? e.level : 30
    const str = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v))
    let text: string | undefined
    switch (msg) {
      case 'backend chosen':
        text = `backend ${str(e.backend)} (${str(e.why)})`
        break
      case 'qemu accelerator chosen':
        text = `QEMU accelerator ${str(e.accelerator)}: ${str(e.why)}`
        break
      case 'advertisement published': {
        const ad = figures(typeof e.resources === 'object' && e.resources !== null ? e.resources : {})
        if (ad !== this.#lastAd) text = `advertisement published to the discovery service: ${ad} free`
        this.#lastAd = ad
        break
      }
      case 'advertisement deleted from the discovery service':
        text = 'advertisement withdrawn from the discovery service'
        break
      case 'vm reserved':
        text = `VM ${str(e.vm)} reserved: SSH port ${str(e.sshPort)}, image ${str(e.image)}`
        break
      case 'qemu vm launched':
        text = `QEMU guest booted: ${phasesText(e.phasesMs)}`
        break
      case 'vm created':
        text = `VM ${str(e.vm)} ready: ${phasesText(e.phasesMs)}`
        break
      case 'vm deleted, resources released':
        text = `VM ${str(e.vm)} deleted, its port ${str(e.port)} and resources released`
        break
      case 'qemu vm destroyed':
        text = `QEMU process of ${str(e.instance)} ended`
        break
      case 'provider stopped; VMs keep running':
        text = 'stopped'
        break
      default:
        if (level >= 40)
          text = `${level >= 50 ? 'error' : 'warning'}: ${msg}${e.err === undefined ? '' : ` (${typeof e.err === 'string' ? e.err : str((e.err as { message?: unknown }).message ?? e.err)})`}`
    }
    if (text !== undefined) ui.log(ui.style.dim(`  provider: ${text}`))
  }

  #block(): string[] {
    const elapsed = Math.floor((performance.now() - this.started) / 1000)
    const clock = `${Math.floor(elapsed / 60)}:${String(elapsed % 60).padStart(2, '0')}`
    const hint = this.stopping ? 'stopping and cleaning up… (Ctrl-C again forces)' : 'Ctrl-C stops everything and cleans up'
    return ['', ...renderBlock(this.poller.state, this.ui.style, `VM on Golem · local network · ${clock} · ${hint}`)]
  }

  // Without a terminal: one line whenever a component's state changes.
  #plainChanges(): void {
    if (this.ui.tty) return
    const now = summaries(this.poller.state)
    for (const [key, text] of now) if (this.#lastSummaries.get(key) !== text && text !== 'waiting') this.ui.log(`status: ${key}: ${text}`)
    for (const key of this.#lastSummaries.keys()) if (!now.has(key)) this.ui.log(`status: ${key}: gone`)
    this.#lastSummaries = now
  }

  /** Stops everything in order and checks that nothing is left; returns the problems found. */
  async cleanup(): Promise<string[]> {
    const { ui } = this
    const problems: string[] = []
    this.stopping = true
    const state = this.poller.state
    if (this.paths === undefined) return problems
    ui.log(ui.style.bold('Stopping: the VMs (through golem-vm), then the provider, the port checker and the discovery service.'))
    const provider = this.provider
    const providerUp = provider?.service.running === true

    // 1. The renter's VMs, through the CLI as a renter would; then anything else the provider still holds, as its operator.
    if (this.renter !== undefined && providerUp) {
      let names: string[] = []
      try {
        names = await this.renter.rentals()
      } catch (error) {
        problems.push(`could not list the renter's VMs: ${errorText(error)}`)
      }
      for (const name of names) {
        const step = ui.step(`golem-vm destroy ${name}`)
        const result = await this.renter.destroy(name, BUSY_WAIT_MS, () =>
          step.update(`"${name}" is still being created on the provider; waiting for that to end (at most ${CREATE_TIMEOUT_S} s; Ctrl-C again forces)`),
        )
        if (result.code === 0) step.done(result.stdout.trim())
        else {
          step.fail(`exit ${result.code ?? 'signal'}`)
          problems.push(new CliError(['destroy', name], result).message)
        }
      }
    }
    if (provider !== undefined && providerUp && state.provider.adminToken !== undefined) {
      await this.#deleteRemainingVms(provider, state.provider.adminToken, problems)
    }
    // One last look, so the view shows the VMs gone before the services stop.
    await this.poller.poll().catch(() => undefined)
    this.#plainChanges()
    this.poller.stop()

    // 2. The services, the provider first (it withdraws its advertisement from discovery on the way out).
    const stops: [string, Started | undefined, 'provider' | 'checker' | 'discovery', number][] = [
      ['the provider', provider, 'provider', 30_000],
      ['the port-check server', this.checker, 'checker', 10_000],
      ['the discovery service', this.discovery, 'discovery', 10_000],
    ]
    for (const [label, started, key, graceMs] of stops) {
      if (started === undefined) continue
      state[key].phase = 'stopping'
      const step = ui.step(`stopping ${label}`)
      const how = await started.service.stop(graceMs)
      state[key].phase = 'stopped'
      if (how === 'killed') {
        step.fail(`did not stop within ${graceMs / 1000} s; killed`)
        problems.push(`${label} did not stop on SIGTERM within ${graceMs / 1000} s and was killed`)
      } else {
        step.done(how === 'gone' ? 'had already exited' : `exit code ${started.service.child.exitCode ?? '?'}`)
      }
      await started.service.closeLog()
    }

    // 3. Nothing of the run may be left: no process (QEMU included), no port, no VM folder.
    const leftovers = findRunProcesses({ name: MARKER, value: this.runId }, this.paths.dir)
    if (leftovers.length > 0) {
      problems.push(`processes of this run were still running and had to be killed: ${leftovers.map((p) => `${p.pid} (${p.command})`).join('; ')}`)
      signalAll(
        leftovers.map((p) => p.pid),
        'SIGTERM',
      )
      await sleep(3000)
      signalAll(
        leftovers.filter((p) => isAlive(p.pid)).map((p) => p.pid),
        'SIGKILL',
      )
      await sleep(1000)
      const still = leftovers.filter((p) => isAlive(p.pid))
      if (still.length > 0) problems.push(`processes that survived SIGKILL: ${still.map((p) => p.pid).join(', ')}`)
    }
    const busy: number[] = []
    for (const port of this.ports) {
      let listening = await isListening(port)
      for (let i = 0; listening && i < 10; i++) {
        await sleep(500)
        listening = await isListening(port)
      }
      if (listening) busy.push(port)
    }
    if (busy.length > 0) problems.push(`ports of this run still accept connections: ${busy.join(', ')}`)
    const vmsDir = join(this.paths.dir, 'provider', 'vms')
    const folders = existsSync(vmsDir) ? readdirSync(vmsDir) : []
    if (folders.length > 0) problems.push(`VM folders left in ${vmsDir}: ${folders.join(', ')}`)
    ui.log(
      problems.length === 0
        ? `${ui.style.green('✓')} nothing left: no process of this run, no VM, ports ${this.ports.length === 0 ? '-' : 'all free'}`
        : `${ui.style.red('✗')} clean-up problems:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    )

    // The provider's VM network (bridge, nftables tables) outlives a stopped provider by design; this run made it, so it goes too.
    const providerDir = join(this.paths.dir, 'provider')
    if (process.getuid?.() === 0 && existsSync(providerDir)) {
      const removed = spawnSync(process.execPath, [join(this.paths.repoRoot, BINS.provider), 'uninstall-network', '--force'], {
        env: { ...process.env, GOLEM_PROVIDER_DATA_DIR: providerDir },
        encoding: 'utf8',
        timeout: 60_000,
      })
      if (removed.status !== 0) problems.push(`the provider's VM network was not removed: ${(removed.stderr || removed.stdout).trim()}`)
    }

    ui.stop()
    // 4. The throw-away dir.
    if (this.opts.keep) {
      ui.log(`kept for inspection: ${this.paths.dir} (logs in ${this.paths.logs}; remove it with: rm -rf ${this.paths.dir})`)
    } else {
      rmSync(this.paths.dir, { recursive: true, force: true, maxRetries: 3 })
      if (existsSync(this.paths.dir)) problems.push(`could not remove ${this.paths.dir}`)
      else ui.log(`removed ${this.paths.dir}`)
    }
    return problems
  }

  // VMs the renter's data dir does not know of (made by hand with another data dir): deleted with the admin token.
  async #deleteRemainingVms(provider: StartedProvider, token: string, problems: string[]): Promise<void> {
    const headers = { authorization: `Bearer ${token}` }
    let vms: { name: string }[]
    try {
      const res = await fetch(`${provider.url}/api/v1/vms`, { headers, signal: AbortSignal.timeout(10_000) })
      vms = (await res.json()) as { name: string }[]
      if (!Array.isArray(vms)) throw new Error(`HTTP ${res.status}`)
    } catch (error) {
      problems.push(`could not list the provider's VMs: ${errorText(error)}`)
      return
    }
    for (const vm of vms) {
      const step = this.ui.step(`deleting VM ${vm.name} as the provider's operator (not in this renter's data dir)`)
      try {
        const deadline = performance.now() + BUSY_WAIT_MS
        for (;;) {
          const res = await fetch(`${provider.url}/api/v1/vms/${encodeURIComponent(vm.name)}`, {
            method: 'DELETE',
            headers,
            signal: AbortSignal.timeout(150_000),
          })
          // 409: busy with a create or start; it ends by the provider's timeout.
          if (res.status === 409 && performance.now() < deadline) {
            step.update('busy on the provider; waiting for its current operation to end')
            await sleep(3000)
            continue
          }
          if (!res.ok) throw new Error(`HTTP ${res.status}: ${await res.text()}`)
          break
        }
        step.done()
      } catch (error) {
        step.fail(errorText(error))
        problems.push(`could not delete VM ${vm.name}: ${errorText(error)}`)
      }
    }
  }

  /** The second Ctrl-C, or a clean-up that takes too long: kill everything at once, remove the dir, exit. */
  force(reason: string, code: number): never {
    this.ui.stop()
    process.stdout.write(`\n${reason}: killing every process of this run at once\n`)
    if (this.backend === 'multipass' && this.provider !== undefined) process.stdout.write('check `multipass list` for a VM named golem-… of this run\n')
    killAllChildren()
    const left = findRunProcesses({ name: MARKER, value: this.runId }, this.paths?.dir)
    signalAll(
      left.map((p) => p.pid),
      'SIGKILL',
    )
    if (this.paths !== undefined) {
      if (this.opts.keep) process.stdout.write(`kept: ${this.paths.dir}\n`)
      else {
        try {
          rmSync(this.paths.dir, { recursive: true, force: true, maxRetries: 3 })
          process.stdout.write(`removed ${this.paths.dir}\n`)
        } catch (error) {
          process.stdout.write(`could not remove ${this.paths.dir}: ${errorText(error)}\n`)
        }
      }
    }
    process.exit(code)
  }
}

async function main(): Promise<number> {
  let opts: Options
  try {
    opts = parseOptions(process.argv.slice(2))
  } catch (error) {
    process.stderr.write(`local-network: ${errorText(error)} (--help lists the options)\n`)
    return EXIT.usage
  }
  if (opts.help) {
    process.stdout.write(`${USAGE}\n`)
    return EXIT.ok
  }
  const ui = new Ui(process.stdout)
  const missing = missingBuilds(REPO_ROOT)
  if (missing.length > 0) {
    process.stderr.write(`local-network: these packages are not compiled: ${missing.join(', ')}. Run \`npm ci\` (or \`npx tsc -b\`) first.\n`)
    return EXIT.failed
  }
  if (findOnPath('ssh') === undefined) {
    process.stderr.write('local-network: the ssh client is not installed (Debian: apt-get install openssh-client)\n')
    return EXIT.failed
  }
  const net = new LocalNetwork(ui, opts)
  let signals = 0
  let firstSignalAt = 0
  const onSignal = (signal: NodeJS.Signals): void => {
    // One Ctrl-C can arrive twice (from the terminal, and forwarded by `npm run`): repeats within 1 s count once.
    if (signals > 0 && performance.now() - firstSignalAt < 1000) return
    signals++
    if (signals === 1) {
      firstSignalAt = performance.now()
      ui.log(ui.style.yellow(`${signal}: stopping everything in order (${signal === 'SIGINT' ? 'Ctrl-C' : signal} again kills everything at once)`))
      net.requestStop(signal)
    } else {
      net.force(`${signal} again`, EXIT[signal === 'SIGTERM' ? 'SIGTERM' : signal === 'SIGHUP' ? 'SIGHUP' : 'SIGINT'])
    }
  }
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal).on('SIGHUP', onSignal)
  // Whatever happens, no child outlives this script: a defect kills everything of the run (QEMU included) at once.
  process.on('exit', () => killAllChildren())
  process.on('uncaughtException', (error) => net.force(`unexpected error: ${error.stack ?? error.message}`, EXIT.failed))
  process.on('unhandledRejection', (reason) => net.force(`unexpected error: ${errorText(reason)}`, EXIT.failed))

  let outcome: 'ok' | 'interrupted' | 'failed' = 'ok'
  try {
    await net.run()
    if (!opts.exitAfterSsh && !net.stop.signal.aborted) {
      ui.log(ui.style.bold('Everything runs. Press Ctrl-C to stop it all and clean up.'))
      await new Promise<void>((resolveStop) => net.stop.signal.addEventListener('abort', () => resolveStop(), { once: true }))
    }
  } catch (error) {
    if (net.stop.signal.aborted) {
      outcome = 'interrupted'
      ui.log(`interrupted: ${firstLine(error)}`)
    } else {
      outcome = 'failed'
      ui.log(ui.style.red(`✗ failed: ${errorText(error)}`))
    }
  }

  const limit = setTimeout(() => net.force(`clean-up took longer than ${CLEANUP_LIMIT_MS / 60_000} min`, EXIT.failed), CLEANUP_LIMIT_MS)
  limit.unref()
  let problems: string[]
  try {
    problems = await net.cleanup()
  } catch (error) {
    problems = [`clean-up failed: ${errorText(error)}`]
  }
  clearTimeout(limit)
  const total = seconds(performance.now() - net.started)
  if (outcome === 'failed') {
    process.stdout.write(
      `local-network: FAILED after ${total} (see above)${problems.length > 0 ? '; the clean-up also had problems' : ''}${opts.keep ? '' : '; run again with --keep to keep the logs'}\n`,
    )
    return EXIT.failed
  }
  if (problems.length > 0) {
    process.stdout.write(`local-network: the clean-up had problems (see above); ${total}\n`)
    return EXIT.failed
  }
  if (outcome === 'interrupted' || !net.sessionDone) {
    process.stdout.write(`local-network: interrupted before it finished; everything is cleaned up (${total})\n`)
    return EXIT[net.stopSignal === 'SIGTERM' ? 'SIGTERM' : net.stopSignal === 'SIGHUP' ? 'SIGHUP' : 'SIGINT']
  }
  process.stdout.write(`local-network: done; everything is stopped and cleaned up (${total})\n`)
  return EXIT.ok
}

const code = await main()
process.exitCode = code
// Everything is stopped; should a handle still hold the event loop, do not hang on it.
setTimeout(() => process.exit(code), 2000).unref()
