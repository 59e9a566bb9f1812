import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadConfig } from './config.js'

test('defaults follow the original provider', () => {
  const result = loadConfig({ env: { HOME: '/home/op' } })
  assert.ok(result.ok)
  const c = result.config
  assert.equal(c.host, '0.0.0.0')
  assert.equal(c.port, 7466)
  assert.deepEqual(c.portRange, { start: 50800, end: 50900 })
  assert.equal(c.dataDir, '/home/op/.golem/provider')
  assert.equal(c.maxVms, 10)
  assert.deepEqual(c.thresholds, { cpu: 90, memory: 85, storage: 90 })
  assert.equal(c.publicIp, 'auto')
  assert.equal(c.skipPortVerification, false)
  assert.equal(c.logLevel, 'info')
})

test('flags beat the environment, which beats .env; the seed README names are aliases', () => {
  const result = loadConfig({
    env: { GOLEM_PROVIDER_PORT: '8000', GOLEM_PROVIDER_COUNTRY: 'pl' },
    dotenv: { GOLEM_PROVIDER_PORT: '7000', GOLEM_PROVIDER_MAX_VMS: '3' },
    flags: { PORT: '9000' },
  })
  assert.ok(result.ok)
  assert.equal(result.config.port, 9000)
  assert.equal(result.config.maxVms, 3)
  assert.equal(result.config.country, 'PL')
})

test('every problem is listed at once, by its full variable name', () => {
  const result = loadConfig({
    env: {
      GOLEM_PROVIDER_PORT: 'x',
      GOLEM_PROVIDER_BACKEND: 'docker',
      GOLEM_PROVIDER_SKIP_PORT_VERIFICATION: 'maybe',
      GOLEM_PROVIDER_PORT_CHECK_SERVERS: 'not a url',
    },
  })
  assert.ok(!result.ok)
  assert.equal(result.problems.length, 4)
  assert.ok(result.problems.some((p) => p.startsWith('GOLEM_PROVIDER_PORT:')))
  assert.ok(result.problems.some((p) => p.startsWith('GOLEM_PROVIDER_BACKEND:')))
})

test('development mode skips verification and uses the loopback address; DEBUG only raises the log level', () => {
  const result = loadConfig({ env: { GOLEM_PROVIDER_ENVIRONMENT: 'development', GOLEM_PROVIDER_DEBUG: 'true' } })
  assert.ok(result.ok)
  assert.equal(result.config.skipPortVerification, true)
  assert.equal(result.config.publicIp, '127.0.0.1')
  assert.equal(result.config.logLevel, 'debug')
})

test('port check servers take a JSON list or a comma-separated list', () => {
  for (const value of ['["http://a:9000/","http://b:9000"]', 'http://a:9000/, http://b:9000']) {
    const result = loadConfig({ env: { GOLEM_PROVIDER_PORT_CHECK_SERVERS: value } })
    assert.ok(result.ok)
    assert.deepEqual(result.config.portCheckServers, ['http://a:9000', 'http://b:9000'])
  }
})

test('retired and unknown settings are warnings, not errors; GOLEM_PROVIDER_ENV_FILE is known', () => {
  const result = loadConfig({ env: { GOLEM_PROVIDER_CLOUD_INIT_DIR: '/x', GOLEM_PROVIDER_PORTT: '1', GOLEM_PROVIDER_ENV_FILE: '/etc/golem/provider.env' } })
  assert.ok(result.ok)
  assert.equal(result.config.warnings.length, 2)
  assert.match(result.config.warnings.join('\n'), /GOLEM_PROVIDER_PORTT is not a setting/)
})

test('the API port may not sit inside the SSH range, and the range must not be reversed', () => {
  const result = loadConfig({ env: { GOLEM_PROVIDER_PORT: '50850' } })
  assert.ok(!result.ok)
  const reversed = loadConfig({ env: { GOLEM_PROVIDER_PORT_RANGE_START: '51000', GOLEM_PROVIDER_PORT_RANGE_END: '50000' } })
  assert.ok(!reversed.ok)
})

test('metrics: token-less scrapes only on a loopback address; the API endpoint needs the token unless made public', () => {
  const off = loadConfig({ env: {} })
  assert.ok(off.ok)
  assert.deepEqual(off.config.metrics, { public: false, listen: undefined })
  const on = loadConfig({ env: { GOLEM_PROVIDER_METRICS_LISTEN: '127.0.0.1:9466', GOLEM_PROVIDER_METRICS_PUBLIC: 'yes' } })
  assert.ok(on.ok)
  assert.deepEqual(on.config.metrics, { public: true, listen: { host: '127.0.0.1', port: 9466 } })
  const v6 = loadConfig({ env: { GOLEM_PROVIDER_METRICS_LISTEN: '[::1]:9466' } })
  assert.ok(v6.ok)
  assert.deepEqual(v6.config.metrics.listen, { host: '::1', port: 9466 })
  for (const [value, why] of [
    ['0.0.0.0:9466', /loopback/],
    ['192.0.2.1:9466', /loopback/],
    ['9466', /host:port/],
    ['127.0.0.1:70000', /host:port/],
  ] as const) {
    const bad = loadConfig({ env: { GOLEM_PROVIDER_METRICS_LISTEN: value } })
    assert.ok(!bad.ok, value)
    assert.match(bad.problems.join('\n'), /^GOLEM_PROVIDER_METRICS_LISTEN: /)
    assert.match(bad.problems.join('\n'), why)
  }
})
