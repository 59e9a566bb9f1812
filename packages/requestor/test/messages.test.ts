/**
 * Every message tells the truth about the command line: each flag a string
 * in the CLI's source names exists, and a flag named after `golem-vm CMD`
 * is one of CMD's own (or a global one); each setting named exists. The
 * strings are read from the TypeScript source with the compiler's parser
 * (template literals with their placeholders), and the commands from the
 * program definition itself.
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import ts from 'typescript'
import { buildProgram } from '../src/cli/program.js'
import { SETTING_NAMES } from '../src/config.js'

const SRC = new URL('../../src/', import.meta.url).pathname

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : []
  })
}

/** Every string and template literal of a file, templates with `…` for their placeholders. */
function strings(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true)
  const found: string[] = []
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) found.push(node.text)
    else if (ts.isTemplateExpression(node)) found.push(node.head.text + node.templateSpans.map((span) => `…${span.literal.text}`).join(''))
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

const program = buildProgram(() => async () => undefined)
const longFlags = (options: readonly { long?: string | undefined }[]): string[] => options.flatMap((o) => (o.long === undefined ? [] : [o.long]))
const globalFlags = [...longFlags(program.options), '--help', '--version']
const commandFlags = new Map(program.commands.map((c) => [c.name(), [...longFlags(c.options), ...globalFlags]]))
const anyFlag = new Set([...commandFlags.values()].flat())

const FLAG = /(?<![\w-])--[a-z][a-z0-9-]*/g

test('the source was read: the walk sees the messages it is meant to check', () => {
  const all = sourceFiles(SRC).flatMap(strings)
  assert.ok(all.some((s) => s.includes('pass --allow-unverified')))
  assert.ok(all.some((s) => s.includes('golem-vm providers --cpu …')))
})

// Splits a message into the command lines it quotes ("golem-vm CMD …" up to the next ",", ";", ")" or sentence end) and the prose around them.
function quotedCommands(text: string): { command: string | undefined; text: string }[] {
  const parts: { command: string | undefined; text: string }[] = []
  let prose = ''
  for (const piece of text.split(/(?=golem-vm \w)/)) {
    const command = /^golem-vm (\w[\w-]*)/.exec(piece)?.[1]
    if (command === undefined || !commandFlags.has(command)) {
      prose += piece
      continue
    }
    const end = piece.search(/[,;)]|\.(\s|$)/)
    parts.push({ command, text: end === -1 ? piece : piece.slice(0, end) })
    prose += end === -1 ? '' : piece.slice(end)
  }
  return [{ command: undefined, text: prose }, ...parts]
}

test('every flag a message names exists, on the command the message names', () => {
  const problems: string[] = []
  for (const file of sourceFiles(SRC)) {
    for (const text of strings(file)) {
      for (const part of quotedCommands(text)) {
        const allowed = part.command === undefined ? anyFlag : new Set(commandFlags.get(part.command))
        for (const flag of part.text.match(FLAG) ?? []) {
          if (!allowed.has(flag))
            problems.push(
              `${file}: ${flag}${part.command === undefined ? ' is no option of any command' : ` is not an option of golem-vm ${part.command}`}: ${text}`,
            )
        }
      }
    }
  }
  assert.deepEqual(problems, [])
})

test('the walk catches a flag that does not exist, or one given to the wrong command', () => {
  const flagsOf = (text: string) => quotedCommands(text).map((p) => [p.command, p.text.match(FLAG) ?? []])
  assert.deepEqual(flagsOf('golem-vm info web-1 --provider-id X; or pass --allow-unverified'), [
    [undefined, ['--allow-unverified']],
    ['info', ['--provider-id']],
  ])
  assert.deepEqual(flagsOf('(golem-vm providers), then golem-vm create NAME --size small.'), [
    [undefined, []],
    ['providers', []],
    ['create', ['--size']],
  ])
  assert.ok(!anyFlag.has('--force'))
  assert.ok(!new Set(commandFlags.get('ssh')).has('--provider-id'))
})

test('every setting a message names exists', () => {
  const named = sourceFiles(SRC)
    .flatMap(strings)
    .flatMap((s) => s.match(/GOLEM_REQUESTOR_[A-Z_]+/g) ?? [])
  assert.ok(named.length > 0)
  assert.deepEqual(
    named.filter((n) => !SETTING_NAMES.includes(n)),
    [],
  )
})

test('every command that looks a provider up can be told to trust an unverified one', () => {
  for (const command of ['create', 'list', 'info', 'start', 'stop', 'destroy']) {
    assert.ok(commandFlags.get(command)?.includes('--allow-unverified'), command)
    assert.ok(commandFlags.get(command)?.includes('--provider-id'), command)
  }
})
