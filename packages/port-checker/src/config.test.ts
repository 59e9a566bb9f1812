import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError, loadConfig, unknownSettings, worstCaseProbeMs } from './config.js'

const problemsOf = (env: Record<string, string>): readonly string[] => {
  try {
    loadConfig(env)
  } catch (error) {
    assert.ok(error instanceof ConfigError)
    return error.problems
  }
  assert.fail('expected a ConfigError')
}

test('defaults: listen on 0.0.0.0:9000, own address only, 128 ports, 2 × 2 s attempts', () => {
  assert.deepEqual(loadConfig({}), {
    host: '0.0.0.0',
    port: 9000,
    debug: false,
    allowForeignAddress: false,
    allowHostnames: false,
    maxPorts: 128,
    rateLimitPerMinute: 20,
    connectTimeoutMs: 2000,
    attempts: 2,
    retryDelayMs: 500,
    maxConcurrentConnects: 256,
    connectsPerRequest: 64,
    requestDeadlineMs: 20000,
    trustProxy: false,
    maxConnectionsPerAddress: 16,
  })
})

test('the default bound fits a whole default SSH range (50800-50900)', () => {
  assert.ok(loadConfig({}).maxPorts >= 101)
})

test('reads every setting, ignoring surrounding spaces and empty values', () => {
  const config = loadConfig({
    PORT_CHECKER_HOST: ' 127.0.0.1 ',
    PORT_CHECKER_PORT: '0',
    PORT_CHECKER_DEBUG: 'YES',
    PORT_CHECKER_ALLOW_FOREIGN_ADDRESS: 'true',
    PORT_CHECKER_ALLOW_HOSTNAMES: '1',
    PORT_CHECKER_MAX_PORTS: '200',
    PORT_CHECKER_RATE_LIMIT_PER_MINUTE: '5',
    PORT_CHECKER_CONNECT_TIMEOUT_MS: '1000',
    PORT_CHECKER_ATTEMPTS: '3',
    PORT_CHECKER_RETRY_DELAY_MS: '0',
    PORT_CHECKER_MAX_CONCURRENT_CONNECTS: '16',
    PORT_CHECKER_CONNECTS_PER_REQUEST: '8',
    PORT_CHECKER_REQUEST_DEADLINE_MS: '',
    PORT_CHECKER_TRUST_PROXY: '10.0.0.1, 192.168.0.0/16',
  })
  assert.equal(config.host, '127.0.0.1')
  assert.equal(config.port, 0)
  assert.equal(config.debug, true)
  assert.equal(config.allowForeignAddress, true)
  assert.equal(config.allowHostnames, true)
  assert.equal(config.maxPorts, 200)
  assert.equal(config.rateLimitPerMinute, 5)
  assert.equal(config.attempts, 3)
  assert.equal(config.retryDelayMs, 0)
  assert.equal(config.connectsPerRequest, 8)
  assert.equal(config.requestDeadlineMs, 20000)
  assert.deepEqual(config.trustProxy, ['10.0.0.1', '192.168.0.0/16'])
})

test('trust proxy accepts false, true, a hop count and address lists', () => {
  const trust = (value: string) => loadConfig({ PORT_CHECKER_TRUST_PROXY: value }).trustProxy
  assert.equal(trust('false'), false)
  assert.equal(trust('0'), false)
  assert.equal(trust('TRUE'), true)
  assert.equal(trust('2'), 2)
  assert.deepEqual(trust('::1,fd00::/8'), ['::1', 'fd00::/8'])
})

test('lists every problem at once, naming the variable and the value', () => {
  const problems = problemsOf({
    PORT_CHECKER_PORT: 'abc',
    PORT_CHECKER_DEBUG: 'maybe',
    PORT_CHECKER_MAX_PORTS: '0',
    PORT_CHECKER_ATTEMPTS: '1.5',
    PORT_CHECKER_TRUST_PROXY: '10.0.0.1,proxy.local,10.0.0.0/33',
    PORT_CHECKER_HOST: 'two words',
  })
  assert.equal(problems.length, 6)
  assert.match(problems.join('\n'), /PORT_CHECKER_PORT: must be a whole number from 0 to 65535 \(got "abc"\)/)
  assert.match(problems.join('\n'), /PORT_CHECKER_DEBUG: must be true or false \(got "maybe"\)/)
  assert.match(problems.join('\n'), /PORT_CHECKER_MAX_PORTS: must be a whole number from 1 to 65535 \(got "0"\)/)
  assert.match(problems.join('\n'), /PORT_CHECKER_ATTEMPTS: .*\(got "1.5"\)/)
  assert.match(problems.join('\n'), /PORT_CHECKER_TRUST_PROXY: .*"proxy.local", "10.0.0.0\/33"/)
  assert.match(problems.join('\n'), /PORT_CHECKER_HOST: /)
})

test('the error message lists the problems one per line', () => {
  const error = new ConfigError(['A: bad', 'B: worse'])
  assert.equal(error.message, 'invalid configuration:\n  - A: bad\n  - B: worse')
})

test('refuses a deadline shorter than one port can take', () => {
  const problems = problemsOf({ PORT_CHECKER_REQUEST_DEADLINE_MS: '4000' })
  assert.equal(problems.length, 1)
  assert.match(problems[0] ?? '', /PORT_CHECKER_REQUEST_DEADLINE_MS \(4000\) must be at least .* = 4500/)
})

test('worst case of one port: every attempt times out, with pauses between', () => {
  assert.equal(worstCaseProbeMs({ attempts: 2, connectTimeoutMs: 2000, retryDelayMs: 500 }), 4500)
  assert.equal(worstCaseProbeMs({ attempts: 1, connectTimeoutMs: 300, retryDelayMs: 500 }), 300)
})

test('a request never holds more connects than the whole checker', () => {
  const config = loadConfig({ PORT_CHECKER_MAX_CONCURRENT_CONNECTS: '10', PORT_CHECKER_CONNECTS_PER_REQUEST: '64' })
  assert.equal(config.connectsPerRequest, 10)
})

test('the result is frozen', () => {
  assert.ok(Object.isFrozen(loadConfig({})))
})

test('unknown PORT_CHECKER_ variables are reported as likely typos; others are ignored', () => {
  assert.deepEqual(unknownSettings({ PORT_CHECKER_PORT: '1', PORT_CHECKER_ALLOW_FOREIGN_ADRESS: 'true', PATH: '/bin' }), ['PORT_CHECKER_ALLOW_FOREIGN_ADRESS'])
})
