/**
 * `golem-provider install-service [--print]` and `uninstall-service`: the
 * unit for this installation (this node, this bin and its flags, the data
 * dir and environment file the provider uses now), shown or installed.
 *
 * @module
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Config } from '../config.js'
import { installService, systemHost, uninstallService } from '../infra/systemd/service-install.js'
import { nodeFlagsFromShebang, systemdUnit, UNIT_NAME, type UnitSettings } from '../infra/systemd/unit-file.js'

export interface ServiceCommandInput {
  readonly config: Config
  /** Absolute path of the environment file the service will read. */
  readonly envFile: string
  /** The settings that file holds now (empty when it does not exist). */
  readonly envFileSettings: Readonly<Record<string, string | undefined>>
  /** Names of the GOLEM_PROVIDER_* variables set in this shell. */
  readonly shellSettings: readonly string[]
  /** The running node executable. */
  readonly node: string
}

const BIN = fileURLToPath(new URL('../../../bin/golem-provider.js', import.meta.url))
const README = fileURLToPath(new URL('../../../../../README.md', import.meta.url))

/** The unit's settings for this installation. */
export function unitSettings(input: ServiceCommandInput): UnitSettings {
  const bin = realpathSync(BIN)
  const firstLine = readFileSync(bin, 'utf8').split('\n', 1)[0] ?? ''
  return {
    node: realpathSync(input.node),
    nodeFlags: nodeFlagsFromShebang(firstLine),
    bin,
    envFile: input.envFile,
    dataDir: input.envFileSettings.GOLEM_PROVIDER_DATA_DIR === undefined ? input.config.dataDir : undefined,
    dataDirPath: input.config.dataDir,
    backend: input.config.backend,
    stopTimeoutS: Math.ceil(input.config.commandTimeoutMs / 1000) + 60,
    readme: existsSync(README) ? README : undefined,
  }
}

/** Shell settings the service would not see: they belong in the environment file. */
export function settingsLeftBehind(input: ServiceCommandInput): string[] {
  return input.shellSettings.filter((name) => name !== 'GOLEM_PROVIDER_ENV_FILE' && input.envFileSettings[name] === undefined).sort()
}

/** Prints the unit (`--print`) or installs it; notes go to stderr so that `--print` output is the unit alone. */
export async function installServiceCommand(input: ServiceCommandInput, opts: { print: boolean; start: boolean }): Promise<void> {
  const unit = systemdUnit(unitSettings(input))
  const leftBehind = settingsLeftBehind(input)
  if (leftBehind.length > 0) {
    console.error(`golem-provider: set in this shell but not in ${input.envFile}, so the service will not see them: ${leftBehind.join(', ')}`)
  }
  if (opts.print) {
    process.stdout.write(unit)
    return
  }
  const result = await installService(systemHost(), unit, { start: opts.start, dataDir: input.config.dataDir })
  console.log(`installed ${result.unitPath}${result.changed ? '' : ' (unchanged)'}; enabled at boot${result.started ? ' and (re)started' : ''}`)
  console.log(`settings: ${input.envFile}${existsSync(input.envFile) ? '' : ' (create it; it does not exist yet)'}; data: ${input.config.dataDir}`)
  console.log(`follow the log:  journalctl -u ${UNIT_NAME.replace(/\.service$/, '')} -f`)
}

export async function uninstallServiceCommand(): Promise<void> {
  const removed = await uninstallService(systemHost())
  console.log(removed ? `stopped, disabled and removed ${UNIT_NAME}; VMs keep running, and the data dir is kept` : `${UNIT_NAME} is not installed`)
}
