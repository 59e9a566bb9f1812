import { strict as assert } from 'node:assert'
import { test } from 'node:test'
import { z } from 'zod'
import { ConfigError } from './config-error.js'
import { envFlag, envOneOf, envText, envWhole, parseEnvSettings, settingProblems, unknownEnvNames } from './env-settings.js'

const schema = z.object({
  X_TEXT: envText,
  X_WHOLE: envWhole(1, 10, 5),
  X_LATER: envWhole(0, 9, undefined),
  X_FLAG: envFlag(false),
  X_MAYBE: envFlag(undefined),
  X_CHOICE: envOneOf(['json', 'pretty'] as const, 'json'),
})

test('unset and blank values take the fallback; values are trimmed and read in any case', () => {
  const unset = parseEnvSettings(schema, { X_TEXT: '  ', X_WHOLE: '' })
  assert.deepEqual(
    [unset.X_TEXT, unset.X_WHOLE, unset.X_LATER, unset.X_FLAG, unset.X_MAYBE, unset.X_CHOICE],
    [undefined, 5, undefined, false, undefined, 'json'],
  )
  assert.deepEqual(parseEnvSettings(schema, { X_TEXT: ' a b ', X_WHOLE: ' 10 ', X_LATER: '0', X_FLAG: 'ON', X_MAYBE: 'no', X_CHOICE: 'Pretty' }), {
    X_TEXT: 'a b',
    X_WHOLE: 10,
    X_LATER: 0,
    X_FLAG: true,
    X_MAYBE: false,
    X_CHOICE: 'pretty',
  })
})

test('every bad setting is one problem line that names it and quotes the value', () => {
  let error: unknown
  try {
    parseEnvSettings(schema, { X_WHOLE: '11', X_LATER: '1.5', X_FLAG: 'maybe', X_CHOICE: 'xml' })
  } catch (caught) {
    error = caught
  }
  assert.ok(error instanceof ConfigError)
  assert.deepEqual(error.problems, [
    'X_WHOLE: must be a whole number from 1 to 10 (got "11")',
    'X_LATER: must be a whole number from 0 to 9 (got "1.5")',
    'X_FLAG: must be true or false (got "maybe")',
    'X_CHOICE: must be one of json, pretty (got "xml")',
  ])
})

test('settingProblems puts the prefix before each name', () => {
  const parsed = schema.safeParse({ X_WHOLE: '0' })
  assert.ok(parsed.error)
  assert.deepEqual(settingProblems(parsed.error, 'P_'), ['P_X_WHOLE: must be a whole number from 1 to 10 (got "0")'])
})

test('unknownEnvNames lists the prefixed names no setting reads, in the order of the environment', () => {
  assert.deepEqual(unknownEnvNames({ X_B: '1', HOME: '/h', X_WHOLE: '1', X_A: '' }, 'X_', ['X_WHOLE']), ['X_B', 'X_A'])
})
