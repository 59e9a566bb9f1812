import { strict as assert } from 'node:assert'
import { test } from 'node:test'
import { ConfigError, loadConfig } from './config.js'

test('defaults match the original where it had a setting', () => {
  const { config, warnings } = loadConfig({}, '/home/op')
  assert.deepEqual(config, {
    host: '0.0.0.0', port: 9001, dataDir: '/home/op/.golem/discovery', allowUnsigned: false, expirySeconds: 300,
    cleanupIntervalSeconds: 60, rateLimitPerMinute: 100, maxClockSkewSeconds: 120, trustProxy: false, logLevel: 'info', logFormat: 'auto',
  })
  assert.deepEqual(warnings, [])
})

test('every setting is read', () => {
  const { config } = loadConfig({
    GOLEM_DISCOVERY_HOST: '127.0.0.1', GOLEM_DISCOVERY_PORT: '0', GOLEM_DISCOVERY_DATA_DIR: '~/ads', GOLEM_DISCOVERY_ALLOW_UNSIGNED: 'TRUE',
    GOLEM_DISCOVERY_ADVERTISEMENT_EXPIRY_SECONDS: '1.5', GOLEM_DISCOVERY_CLEANUP_INTERVAL_SECONDS: '0.25', GOLEM_DISCOVERY_RATE_LIMIT_PER_MINUTE: '0',
    GOLEM_DISCOVERY_MAX_CLOCK_SKEW_SECONDS: '30', GOLEM_DISCOVERY_TRUST_PROXY: '10.0.0.0/8, loopback, ::1', GOLEM_DISCOVERY_LOG_LEVEL: 'DEBUG',
    GOLEM_DISCOVERY_LOG_FORMAT: 'json',
  }, '/home/op')
  assert.deepEqual(config, {
    host: '127.0.0.1', port: 0, dataDir: '/home/op/ads', allowUnsigned: true, expirySeconds: 1.5, cleanupIntervalSeconds: 0.25,
    rateLimitPerMinute: 0, maxClockSkewSeconds: 30, trustProxy: ['10.0.0.0/8', 'loopback', '::1'], logLevel: 'debug', logFormat: 'json',
  })
})

test('empty values mean "not set"; trust proxy accepts true and false', () => {
  assert.equal(loadConfig({ GOLEM_DISCOVERY_PORT: '' }, '/h').config.port, 9001)
  assert.equal(loadConfig({ GOLEM_DISCOVERY_TRUST_PROXY: 'true' }, '/h').config.trustProxy, true)
  assert.equal(loadConfig({ GOLEM_DISCOVERY_TRUST_PROXY: 'off' }, '/h').config.trustProxy, false)
})

test('every problem is reported at once', () => {
  const bad = {
    GOLEM_DISCOVERY_PORT: '70000', GOLEM_DISCOVERY_ALLOW_UNSIGNED: 'maybe', GOLEM_DISCOVERY_ADVERTISEMENT_EXPIRY_SECONDS: '0',
    GOLEM_DISCOVERY_CLEANUP_INTERVAL_SECONDS: 'soon', GOLEM_DISCOVERY_RATE_LIMIT_PER_MINUTE: '-1', GOLEM_DISCOVERY_MAX_CLOCK_SKEW_SECONDS: '1.5',
    GOLEM_DISCOVERY_TRUST_PROXY: '10.0.0.0/99,proxy.example', GOLEM_DISCOVERY_LOG_LEVEL: 'loud', GOLEM_DISCOVERY_LOG_FORMAT: 'xml',
  }
  assert.throws(() => loadConfig(bad, '/h'), (error: unknown) => {
    assert.ok(error instanceof ConfigError)
    assert.equal(error.problems.length, Object.keys(bad).length)
    for (const name of Object.keys(bad)) assert.ok(error.message.includes(name), `${name} is reported`)
    assert.match(error.message, /not understood: "10\.0\.0\.0\/99", "proxy\.example"/)
    return true
  })
})

test('unknown GOLEM_DISCOVERY_ names, such as the original ignored expiry in minutes, are warned about', () => {
  const { warnings } = loadConfig({ GOLEM_DISCOVERY_ADVERTISEMENT_EXPIRY_MINUTES: '10', OTHER: 'x' }, '/h')
  assert.equal(warnings.length, 1)
  assert.match(warnings[0] ?? '', /GOLEM_DISCOVERY_ADVERTISEMENT_EXPIRY_MINUTES is not a setting/)
})
