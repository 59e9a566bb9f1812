/**
 * Printing helpers shared by the commands: JSON on stdout, tables and
 * messages for people, errors in both forms. Commands get an {@link Io} so
 * tests can capture what they print. Nothing printed here can carry a
 * terminal control sequence (see `terminal-text.ts`): table cells are shown
 * on one line each, messages keep only their own line breaks, and JSON
 * escapes every control character.
 *
 * @module
 */
import type { VmResources } from '@golem-vm/protocol'
import { EXIT_CODES, messageOf, RequestorError } from '../domain/errors.js'
import type { Rental } from '../domain/rental.js'
import { cleanLines, cleanText, jsonSafe } from '../domain/terminal-text.js'

/** Where a command prints. `stderr.isTTY` decides between a spinner and plain progress lines. */
export interface Io {
  readonly stdout: { write(text: string): unknown }
  readonly stderr: { write(text: string | Uint8Array): unknown; readonly isTTY?: boolean }
}

/** Prints `value` as indented JSON with a final newline. */
export function printJson(io: Io, value: unknown): void {
  io.stdout.write(`${jsonSafe(JSON.stringify(value, null, 2))}\n`)
}

/** Prints a line for people on stdout. */
export function say(io: Io, text = ''): void {
  io.stdout.write(`${cleanLines(text)}\n`)
}

/** Prints a notice or warning on stderr (never mixed into JSON on stdout). */
export function note(io: Io, text: string): void {
  io.stderr.write(`golem-vm: ${cleanLines(text)}\n`)
}

/** Formats rows as aligned columns under `headers`; every cell stays on one line. */
export function table(headers: readonly string[], cells: readonly (readonly string[])[]): string {
  const rows = cells.map((row) => row.map(cleanText))
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd()
  return [line(headers), ...rows.map(line)].join('\n')
}

/** "2 CPU, 4 GB memory, 20 GB storage". */
export const describeResources = (r: Pick<VmResources, 'cpu' | 'memory' | 'storage'>): string => `${r.cpu} CPU, ${r.memory} GB memory, ${r.storage} GB storage`

/** "provider 0x… (name)". */
export const describeProvider = (rental: Pick<Rental, 'provider_id' | 'provider_name'>): string =>
  rental.provider_name === null || rental.provider_name === rental.provider_id ? rental.provider_id : `${rental.provider_id} (${rental.provider_name})`

/**
 * Reports a failure: `{"error": {code, message, exit_code}}` on stdout with
 * `--json`, else `golem-vm: error: …` on stderr. Returns the exit code.
 */
export function reportError(io: Io, error: unknown, json: boolean): number {
  const known = error instanceof RequestorError
  const code = known ? error.code : 'INTERNAL'
  const exitCode = known ? error.exitCode : EXIT_CODES.FAILURE
  const message = known ? error.message : `unexpected error: ${messageOf(error)} (please report this)`
  if (json) printJson(io, { error: { code, message, exit_code: exitCode } })
  else io.stderr.write(`golem-vm: error: ${cleanLines(message)}\n`)
  if (!known && error instanceof Error && error.stack !== undefined && !json) io.stderr.write(`${error.stack}\n`)
  return exitCode
}
