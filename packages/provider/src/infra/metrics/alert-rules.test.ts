import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { ProviderMetrics } from './provider-metrics.js'

// The operator's starting point for alerts (docs/monitoring.md links it).
const RULES = new URL('../../../../../../docs/monitoring/alerts.yml', import.meta.url).pathname

test('the documented alert rules pass promtool and name only metrics the provider exports', async () => {
  const check = spawnSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' })
  assert.equal(check.error, undefined, 'promtool runs (Debian package prometheus)')
  assert.equal(check.status, 0, `${check.stdout}${check.stderr}`)
  const exported = await new ProviderMetrics({
    status: () => {
      throw new Error('not used')
    },
    vms: () => [],
    forwarding: () => undefined,
  }).render()
  const named = new Set(readFileSync(RULES, 'utf8').match(/\b(?:golem_provider|nodejs|process)_[a-z0-9_]+/g))
  assert.ok(named.size >= 5)
  for (const name of named) assert.match(exported, new RegExp(`^# TYPE ${name} `, 'm'), `${name} is exported`)
})
