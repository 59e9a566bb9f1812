import { strict as assert } from 'node:assert'
import { test } from 'node:test'
import { ConfigError, loadConfig } from './config.js'

test('defaults match the original where it had a setting', () => {
  const { config, warnings } = loadConfig({}, '/home/op')
  assert.deepEqual(config, {
    host: '0.0.0.0',
    port: 9001,
    dataDir: '/home/op/.golem/discovery',
    allowUnsigned: false,
    expirySeconds: 300,
    cleanupIntervalSeconds: 60,
    rateLimitPerMinute: 100,
    maxClockSkewSeconds: 120,
    trustProxy: false,
    logLevel: 'info',
    logFormat: 'auto',
    databaseUrl: undefined,
    databasePoolSize: 10,
    environment: 'production',
    allowPrivateAddresses: false,
    addressCheck: 'source',
    maxProvidersPerAddress: 4,
    signerRetentionSeconds: 604_800,
    maxConnectionsPerAddress: 64,
    requestTimeoutSeconds: 10,
  })
  assert.deepEqual(warnings, [])
})

test('every setting is read', () => {
  const { config } = loadConfig(
    {
      GOLEM_DISCOVERY_HOST: '127.0.0.1',
      GOLEM_DISCOVERY_PORT: '0',
      GOLEM_DISCOVERY_DATA_DIR: '~/ads',
      GOLEM_DISCOVERY_ALLOW_UNSIGNED: 'TRUE',
      GOLEM_DISCOVERY_ADVERTISEMENT_EXPIRY_SECONDS: '1.5',
      GOLEM_DISCOVERY_CLEANUP_INTERVAL_SECONDS: '0.25',
      GOLEM_DISCOVERY_RATE_LIMIT_PER_MINUTE: '0',
      GOLEM_DISCOVERY_MAX_CLOCK_SKEW_SECONDS: '30',
      GOLEM_DISCOVERY_TRUST_PROXY: '10.0.0.0/8, loopback, ::1',
      GOLEM_DISCOVERY_LOG_LEVEL: 'DEBUG',
      GOLEM_DISCOVERY_LOG_FORMAT: 'json',
      GOLEM_DISCOVERY_DATABASE_URL: 'postgresql://d:secret@db.example/ads',
      GOLEM_DISCOVERY_DATABASE_POOL_SIZE: '4',
      GOLEM_DISCOVERY_ENVIRONMENT: 'Development',
      GOLEM_DISCOVERY_ALLOW_PRIVATE_ADDRESSES: 'false',
      GOLEM_DISCOVERY_ADDRESS_CHECK: 'off',
      GOLEM_DISCOVERY_MAX_PROVIDERS_PER_ADDRESS: '9',
      GOLEM_DISCOVERY_SIGNER_RETENTION_SECONDS: '60',
      GOLEM_DISCOVERY_MAX_CONNECTIONS_PER_ADDRESS: '0',
      GOLEM_DISCOVERY_REQUEST_TIMEOUT_SECONDS: '2.5',
    },
    '/home/op',
  )
  assert.deepEqual(config, {
    host: '127.0.0.1',
    port: 0,
    dataDir: '/home/op/ads',
    allowUnsigned: true,
    expirySeconds: 1.5,
    cleanupIntervalSeconds: 0.25,
    rateLimitPerMinute: 0,
    maxClockSkewSeconds: 30,
    trustProxy: ['10.0.0.0/8', 'loopback', '::1'],
    logLevel: 'debug',
    logFormat: 'json',
    databaseUrl: 'postgresql://d:secret@db.example/ads',
    databasePoolSize: 4,
    environment: 'development',
    allowPrivateAddresses: false,
    addressCheck: 'off',
    maxProvidersPerAddress: 9,
    signerRetentionSeconds: 60,
    maxConnectionsPerAddress: 0,
    requestTimeoutSeconds: 2.5,
  })
})

test('development mode allows private addresses and lifts the per-address limit unless they are set', () => {
  const dev = loadConfig({ GOLEM_DISCOVERY_ENVIRONMENT: 'development' }, '/h').config
  assert.deepEqual([dev.allowPrivateAddresses, dev.maxProvidersPerAddress], [true, 0])
  const production = loadConfig({ GOLEM_DISCOVERY_ALLOW_PRIVATE_ADDRESSES: 'yes' }, '/h').config
  assert.deepEqual([production.allowPrivateAddresses, production.maxProvidersPerAddress], [true, 4])
})

test('a database URL must be PostgreSQL; the signer retention must outlast the replay window', () => {
  assert.throws(() => loadConfig({ GOLEM_DISCOVERY_DATABASE_URL: 'mysql://x/y' }, '/h'), /must be a PostgreSQL URL/)
  assert.throws(() => loadConfig({ GOLEM_DISCOVERY_SIGNER_RETENTION_SECONDS: '100' }, '/h'), /at least twice GOLEM_DISCOVERY_MAX_CLOCK_SKEW_SECONDS \(240\)/)
})

test('empty values mean "not set"; trust proxy accepts true and false', () => {
  assert.equal(loadConfig({ GOLEM_DISCOVERY_PORT: '' }, '/h').config.port, 9001)
  assert.equal(loadConfig({ GOLEM_DISCOVERY_TRUST_PROXY: 'true' }, '/h').config.trustProxy, true)
  assert.equal(loadConfig({ GOLEM_DISCOVERY_TRUST_PROXY: 'off' }, '/h').config.trustProxy, false)
})

test('every problem is reported at once', () => {
  const bad = {
    GOLEM_DISCOVERY_PORT: '70000',
    GOLEM_DISCOVERY_ALLOW_UNSIGNED: 'maybe',
    GOLEM_DISCOVERY_ADVERTISEMENT_EXPIRY_SECONDS: '0',
    GOLEM_DISCOVERY_CLEANUP_INTERVAL_SECONDS: 'soon',
    GOLEM_DISCOVERY_RATE_LIMIT_PER_MINUTE: '-1',
    GOLEM_DISCOVERY_MAX_CLOCK_SKEW_SECONDS: '1.5',
    GOLEM_DISCOVERY_TRUST_PROXY: '10.0.0.0/99,proxy.example',
    GOLEM_DISCOVERY_LOG_LEVEL: 'loud',
    GOLEM_DISCOVERY_LOG_FORMAT: 'xml',
  }
  assert.throws(
    () => loadConfig(bad, '/h'),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError)
      assert.equal(error.problems.length, Object.keys(bad).length)
      for (const name of Object.keys(bad)) assert.ok(error.message.includes(name), `${name} is reported`)
      assert.match(error.message, /not understood: "10\.0\.0\.0\/99", "proxy\.example"/)
      return true
    },
  )
})

test('unknown GOLEM_DISCOVERY_ names, such as the original ignored expiry in minutes, are warned about', () => {
  const { warnings } = loadConfig({ GOLEM_DISCOVERY_ADVERTISEMENT_EXPIRY_MINUTES: '10', OTHER: 'x' }, '/h')
  assert.equal(warnings.length, 1)
  assert.match(warnings[0] ?? '', /GOLEM_DISCOVERY_ADVERTISEMENT_EXPIRY_MINUTES is not a setting/)
})
