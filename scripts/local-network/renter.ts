/**
 * The renter's side, through the real `golem-vm` CLI as child processes,
 * exactly as a person would use it: with `GOLEM_REQUESTOR_DISCOVERY_URL`
 * and `GOLEM_REQUESTOR_DATA_DIR` pointing into the run. Its `--json` output
 * is read for what this script needs; its messages are shown.
 *
 * @module
 */
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { BINS } from './network.js'
import { runCommand, type CommandResult } from './proc.js'

/** The fields of a `golem-vm create --json` rental this script reads. */
export interface Rental {
  readonly name: string
  readonly status: string
  readonly provider_id: string
  readonly ssh_host: string
  readonly ssh_port: number | null
  readonly ssh_user: string
  readonly image: string
}

/** One `golem-vm providers --json` entry (the fields read here). */
export interface Offer {
  readonly provider_id: string
  readonly provider_url: string
  readonly verified: boolean
}

// The message of a `--json` error (`{"error": {"code", "message"}}`), if that is what was printed.
function jsonError(stdout: string): string | undefined {
  try {
    const body = JSON.parse(stdout) as { error?: { code?: unknown; message?: unknown } }
    return typeof body.error?.message === 'string' ? `error: ${body.error.message}` : undefined
  } catch {
    return undefined
  }
}

/** A failed `golem-vm` run, with what it printed. */
export class CliError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly result: CommandResult,
  ) {
    const how = result.timedOut ? 'timed out' : result.aborted ? 'was interrupted' : `exited with ${result.code ?? 'a signal'}`
    const said = `${result.stderr}${jsonError(result.stdout) ?? result.stdout}`
      .trim()
      .split('\n')
      .slice(-12)
      .map((l) => `    ${l}`)
      .join('\n')
    super(`golem-vm ${args.join(' ')} ${how}${said === '' ? '' : `:\n${said}`}`)
  }
}

export class Renter {
  readonly dataDir: string
  readonly discoveryUrl: string
  readonly #repoRoot: string
  readonly #env: NodeJS.ProcessEnv
  readonly #cwd: string
  readonly #logFile: string
  readonly #onMessage: (line: string) => void

  constructor(opts: {
    repoRoot: string
    dataDir: string
    discoveryUrl: string
    baseEnv: NodeJS.ProcessEnv
    cwd: string
    logFile: string
    onMessage: (line: string) => void
  }) {
    this.dataDir = opts.dataDir
    this.discoveryUrl = opts.discoveryUrl
    this.#repoRoot = opts.repoRoot
    this.#cwd = opts.cwd
    this.#logFile = opts.logFile
    this.#onMessage = opts.onMessage
    // Development mode: the whole network is on 127.0.0.1, which golem-vm refuses in production.
    this.#env = {
      ...opts.baseEnv,
      GOLEM_REQUESTOR_DATA_DIR: opts.dataDir,
      GOLEM_REQUESTOR_DISCOVERY_URL: opts.discoveryUrl,
      GOLEM_REQUESTOR_ENVIRONMENT: 'development',
    }
  }

  /** The environment a person sets to act as this renter. */
  get envText(): string {
    return `GOLEM_REQUESTOR_DISCOVERY_URL=${this.discoveryUrl} GOLEM_REQUESTOR_DATA_DIR=${this.dataDir} GOLEM_REQUESTOR_ENVIRONMENT=development`
  }

  /** Runs `golem-vm args…`; its stderr lines are shown as they come unless `quiet`. */
  run(args: readonly string[], opts: { timeoutMs: number; signal?: AbortSignal | undefined; quiet?: boolean }): Promise<CommandResult> {
    return runCommand(process.execPath, [join(this.#repoRoot, BINS.requestor), ...args], {
      env: this.#env,
      cwd: this.#cwd,
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
      // golem-vm leaves a wait cleanly on SIGINT (a create stays recorded, so destroy can remove it).
      abortWith: 'SIGINT',
      logFile: this.#logFile,
      onStderrLine: opts.quiet === true ? undefined : (line) => this.#onMessage(line),
    })
  }

  async #json(args: readonly string[], opts: { timeoutMs: number; signal?: AbortSignal | undefined; quiet?: boolean }): Promise<unknown> {
    const result = await this.run([...args, '--json'], opts)
    if (result.code !== 0) throw new CliError([...args, '--json'], result)
    try {
      return JSON.parse(result.stdout) as unknown
    } catch {
      throw new CliError([...args, '--json'], { ...result, stderr: `${result.stderr}(not JSON)\n` })
    }
  }

  /** `golem-vm providers --json`. */
  async providers(signal?: AbortSignal): Promise<Offer[]> {
    const body = (await this.#json(['providers'], { timeoutMs: 30_000, signal, quiet: true })) as { providers?: Offer[] }
    return body.providers ?? []
  }

  /** Polls `golem-vm providers` until `providerId` is listed (bounded). */
  async waitForProvider(providerId: string, timeoutMs: number, signal: AbortSignal): Promise<Offer> {
    const deadline = performance.now() + timeoutMs
    let last = ''
    while (performance.now() < deadline) {
      signal.throwIfAborted()
      try {
        const found = (await this.providers(signal)).find((o) => o.provider_id.toLowerCase() === providerId.toLowerCase())
        if (found !== undefined) return found
        last = 'not listed yet'
      } catch (error) {
        last = (error as Error).message
      }
      await sleep(1000, undefined, { signal })
    }
    throw new Error(`the provider ${providerId} did not appear in golem-vm providers within ${Math.round(timeoutMs / 1000)} s (${last})`)
  }

  /** `golem-vm create NAME … --json`: resolves with the rental and the plain ssh command. */
  async create(name: string, providerId: string, image: string, timeoutMs: number, signal: AbortSignal): Promise<{ rental: Rental; sshCommand: string }> {
    const body = (await this.#json(['create', name, '--provider-id', providerId, '--size', 'small', '--image', image], { timeoutMs, signal })) as {
      rental: Rental
      ssh_command: string
    }
    return { rental: body.rental, sshCommand: body.ssh_command }
  }

  /**
   * `golem-vm ssh NAME -- command…`, tried again while ssh itself fails
   * (exit 255: the guest may still be installing the key) until `timeoutMs`.
   */
  async ssh(name: string, command: readonly string[], timeoutMs: number, signal: AbortSignal): Promise<CommandResult> {
    const deadline = performance.now() + timeoutMs
    for (;;) {
      const result = await this.run(['ssh', name, '--', ...command], { timeoutMs: 60_000, signal, quiet: true })
      if (result.code !== 255 || performance.now() > deadline || signal.aborted) return result
      await sleep(2000, undefined, { signal })
    }
  }

  /** Names of the rentals recorded in this renter's data dir (`golem-vm list --json`). */
  async rentals(): Promise<string[]> {
    const body = (await this.#json(['list'], { timeoutMs: 30_000, quiet: true })) as { rentals?: { name: string }[] }
    return (body.rentals ?? []).map((r) => r.name)
  }

  /**
   * `golem-vm destroy NAME`, tried again while the VM is busy (exit 4: a
   * create the renter left is still running on the provider, which finishes
   * it or gives up after its create timeout) until `timeoutMs`.
   */
  async destroy(name: string, timeoutMs: number, onBusy: () => void): Promise<CommandResult> {
    const deadline = performance.now() + timeoutMs
    for (;;) {
      const result = await this.run(['destroy', name], { timeoutMs: 150_000, quiet: true })
      if (result.code !== 4 || performance.now() > deadline) return result
      onBusy()
      await sleep(3000)
    }
  }
}
