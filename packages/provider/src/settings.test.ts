import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { loadConfig } from './config.js'
import { SETTINGS, settingFlags, withSettingsTable } from './settings.js'

// The README's table is generated from settings.ts; this keeps the two in step.
test("the README's settings table is the one settings.ts generates (npm run docs:settings rewrites it)", () => {
  const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8')
  assert.equal(readme, withSettingsTable(readme), 'README.md has drifted from packages/provider/src/settings.ts: run `npm run docs:settings`')
})

test('every setting but the passphrase has a flag named after it, which reaches the configuration', () => {
  const flags = settingFlags()
  assert.deepEqual(
    flags.map((f) => f.setting).sort(),
    Object.keys(SETTINGS)
      .filter((n) => n !== 'KEY_PASSPHRASE')
      .sort(),
  )
  assert.ok(flags.some((f) => f.flag === '--offer-cpu-cores <value>' && f.help.endsWith('[GOLEM_PROVIDER_OFFER_CPU_CORES]')))
  const result = loadConfig({ env: {}, flags: { DEFAULT_VM_IMAGE: '22.04', PORT_RANGE_START: '51000', PORT_RANGE_END: '51010' } })
  assert.ok(result.ok)
  assert.equal(result.config.defaultImage, '22.04')
  assert.deepEqual(result.config.portRange, { start: 51000, end: 51010 })
})
