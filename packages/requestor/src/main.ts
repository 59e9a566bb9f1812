/**
 * The `golem-vm` command: parses the command line (see `cli/program.ts`),
 * loads the settings, composes the parts and runs one command. Every failure
 * ends with a message that says what to do and a documented exit code (see
 * the README).
 *
 * @module
 */
import { homedir } from 'node:os'
import { CommanderError, type Command } from 'commander'
import type { CommandContext } from './cli/context.js'
import { reportError, type Io } from './cli/output.js'
import { buildProgram, type ActionFactory, type GlobalOptions } from './cli/program.js'
import { EXIT_CODES, RequestorError } from './domain/errors.js'
import { cleanText } from './domain/terminal-text.js'

const io: Io = { stdout: process.stdout, stderr: process.stderr }

// Builds the context from the global flags and the environment; configuration problems are usage errors.
async function contextOf(program: Command): Promise<CommandContext> {
  const [{ ConfigError, loadConfig }, { compose }] = await Promise.all([import('./config.js'), import('./compose.js')])
  try {
    const { config, warnings } = loadConfig(process.env, { flags: program.opts<GlobalOptions>(), home: homedir(), cwd: process.cwd() })
    for (const warning of warnings) io.stderr.write(`golem-vm: warning: ${warning}\n`)
    const warn = (message: string): void => {
      io.stderr.write(`golem-vm: warning: ${cleanText(message)}\n`)
    }
    return { deps: compose(config, warn), io }
  } catch (error) {
    if (error instanceof ConfigError) throw new RequestorError('CONFIG_INVALID', error.message)
    throw error
  }
}

// Runs a command body (loaded on demand); whatever it throws becomes a message and an exit code.
const action: ActionFactory =
  (json, load) =>
  async (...args) => {
    try {
      const [body, ctx] = await Promise.all([load(), contextOf(program)])
      process.exitCode = await body(ctx, ...args)
    } catch (error) {
      process.exitCode = reportError(io, error, json(...args))
    }
  }

const program = buildProgram(action)

try {
  await program.parseAsync()
} catch (error) {
  if (!(error instanceof CommanderError)) throw error
  // Help and version end with 0; every usage error with 2.
  process.exitCode = error.exitCode === 0 ? EXIT_CODES.OK : EXIT_CODES.USAGE
}
