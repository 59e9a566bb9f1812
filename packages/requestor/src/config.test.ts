import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError, DEFAULT_DISCOVERY_URL, loadConfig } from './config.js'

const sources = { home: '/home/renter', cwd: '/work' }

test('defaults: ~/.golem/requestor, the public discovery service, 15 minutes to create, production', () => {
  const { config, warnings } = loadConfig({}, sources)
  assert.deepEqual(config, {
    dataDir: '/home/renter/.golem/requestor',
    discoveryUrl: DEFAULT_DISCOVERY_URL,
    createTimeoutMs: 900_000,
    environment: 'production',
    allowPrivateAddresses: false,
    paymentRpcUrl: null,
  })
  assert.deepEqual(warnings, [])
})

test('flags win over the environment; ~ and relative paths are resolved; trailing slashes dropped', () => {
  const env = { GOLEM_REQUESTOR_DATA_DIR: '~/rent', GOLEM_REQUESTOR_DISCOVERY_URL: 'http://10.0.0.1:9001/', GOLEM_REQUESTOR_CREATE_TIMEOUT: '60' }
  assert.deepEqual(loadConfig(env, sources).config, {
    dataDir: '/home/renter/rent',
    discoveryUrl: 'http://10.0.0.1:9001',
    createTimeoutMs: 60_000,
    environment: 'production',
    allowPrivateAddresses: false,
    paymentRpcUrl: null,
  })
  const flagged = loadConfig(env, { ...sources, flags: { dataDir: 'state', discoveryUrl: 'https://d.example', allowPrivateAddresses: true } }).config
  assert.equal(flagged.dataDir, '/work/state')
  assert.equal(flagged.discoveryUrl, 'https://d.example')
  assert.equal(flagged.allowPrivateAddresses, true)
})

test("development mode (the original's setting) allows private addresses", () => {
  const { config, warnings } = loadConfig({ GOLEM_REQUESTOR_ENVIRONMENT: 'development' }, sources)
  assert.deepEqual([config.environment, config.allowPrivateAddresses, warnings], ['development', true, []])
  assert.throws(() => loadConfig({ GOLEM_REQUESTOR_ENVIRONMENT: 'dev' }, sources), {
    message: /GOLEM_REQUESTOR_ENVIRONMENT: must be "production" or "development"/,
  })
})

test('every bad setting is listed at once', () => {
  assert.throws(
    () => loadConfig({ GOLEM_REQUESTOR_DISCOVERY_URL: 'ftp://x', GOLEM_REQUESTOR_CREATE_TIMEOUT: 'soon', GOLEM_REQUESTOR_DATA_DIR: '/a"b' }, sources),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError)
      assert.equal(error.problems.length, 3)
      return true
    },
  )
})

test('unknown and retired GOLEM_REQUESTOR_ names are warned about', () => {
  const { warnings } = loadConfig({ GOLEM_REQUESTOR_FORCE_LOCALHOST: 'true', GOLEM_REQUESTOR_DISCOVERY_ULR: 'x', OTHER: 'y' }, sources)
  assert.equal(warnings.length, 2)
  assert.match(warnings[0] ?? '', /original requestor/)
  assert.match(warnings[1] ?? '', /not a setting/)
})

test('the payment RPC: an http(s) URL, or none (paid providers then cannot be rented)', () => {
  assert.equal(loadConfig({ GOLEM_REQUESTOR_PAYMENT_RPC_URL: 'http://127.0.0.1:8545' }, sources).config.paymentRpcUrl, 'http://127.0.0.1:8545')
  assert.throws(() => loadConfig({ GOLEM_REQUESTOR_PAYMENT_RPC_URL: 'ws://x' }, sources), { message: /GOLEM_REQUESTOR_PAYMENT_RPC_URL: must be an http/ })
})
