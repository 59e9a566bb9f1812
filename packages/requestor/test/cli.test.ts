/**
 * The `golem-vm` executable as a process, without a network: help, usage
 * errors and their exit codes, the JSON error shape, and local-only commands.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import { cli, json, tempDir } from './helpers/network.js'

test('help for every command, exit 0', async () => {
  const env = { dataDir: '/nonexistent', discoveryUrl: 'http://127.0.0.1:9' }
  const top = await cli(['--help'], env)
  assert.equal(top.code, 0)
  for (const command of ['providers', 'create', 'list', 'ssh', 'info', 'start', 'stop', 'destroy']) {
    assert.match(top.stdout, new RegExp(`\\n  ${command} `), command)
    const help = await cli([command, '--help'], env)
    assert.equal(help.code, 0, command)
    assert.match(help.stdout, /^Usage: golem-vm /, command)
  }
})

test('usage errors exit 2; --json errors are JSON on stdout', async (t) => {
  const env = { dataDir: join(tempDir(t), 'data'), discoveryUrl: 'http://127.0.0.1:9' }
  assert.equal((await cli(['bogus'], env)).code, 2)
  assert.equal((await cli(['create', 'web-1'], env)).code, 2, 'missing --provider-id')
  const bad = await cli(['create', 'Web_1', '--provider-id', '0x12', '--cpu', '3', '--json'], env)
  assert.equal(bad.code, 2)
  const { error } = json<{ error: { code: string; message: string; exit_code: number } }>(bad)
  assert.equal(error.code, 'INVALID_ARGUMENT')
  assert.equal(error.exit_code, 2)
  assert.match(error.message, /name "Web_1".*--cpu.*--provider-id/)
  const config = await cli(['list', '--discovery-url', 'ftp://x'], env)
  assert.equal(config.code, 2)
  assert.match(config.stderr, /GOLEM_REQUESTOR_DISCOVERY_URL: must be an http/)
})

test('local commands need no network; an unreachable discovery service exits 5 with advice', async (t) => {
  const env = { dataDir: join(tempDir(t), 'data'), discoveryUrl: 'http://127.0.0.1:9' }
  const list = await cli(['list', '--json'], env)
  assert.equal(list.code, 0, list.stderr)
  assert.deepEqual(json<unknown>(list), { rentals: [] })
  const missing = await cli(['info', 'web-1'], env)
  assert.equal(missing.code, 3)
  assert.match(missing.stderr, /golem-vm: error: you have no VM called "web-1".*golem-vm list/)
  const providers = await cli(['providers'], env)
  assert.equal(providers.code, 5)
  assert.match(providers.stderr, /did not answer.*GOLEM_REQUESTOR_DISCOVERY_URL/)
})
