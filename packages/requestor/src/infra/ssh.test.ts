import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { runSsh, shellQuote, sshArgs, sshCommandLine } from './ssh.js'

const target = { privateKeyPath: '/data/ssh/id_ed25519', knownHostsFile: '/data/known_hosts/web-1', host: '127.0.0.1', port: 50800, user: 'ubuntu' }

test("ssh gets the requestor key only, the rental's known_hosts with accept-new, and no forwarding", () => {
  assert.deepEqual(sshArgs(target), [
    '-i',
    '/data/ssh/id_ed25519',
    '-p',
    '50800',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'StrictHostKeyChecking=accept-new',
    '-o',
    'UserKnownHostsFile=/data/known_hosts/web-1',
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'HashKnownHosts=no',
    '-o',
    'ForwardAgent=no',
    '-o',
    'ForwardX11=no',
    'ubuntu@127.0.0.1',
  ])
})

test('a remote command follows "--" and the destination, so it is never read as an ssh option', () => {
  const args = sshArgs(target, ['-v', 'ls', '-la'])
  assert.deepEqual(args.slice(-5), ['--', 'ubuntu@127.0.0.1', '-v', 'ls', '-la'])
})

test('paths with spaces are quoted for ssh and "%" escaped; the printed command is shell-quoted', () => {
  const odd = { ...target, privateKeyPath: '/my data/100%/id', knownHostsFile: "/my data/it's/web-1" }
  const args = sshArgs(odd)
  assert.equal(args[1], '"/my data/100%%/id"')
  assert.equal(args[9], `UserKnownHostsFile="/my data/it's/web-1"`)
  assert.equal(shellQuote("it's"), `'it'\\''s'`)
  assert.equal(shellQuote('plain/path-1.2'), 'plain/path-1.2')
  assert.equal(sshCommandLine(target), `ssh ${sshArgs(target).join(' ')}`)
})

function fakeSsh(t: TestContext, script: string): { bin: string; argsFile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'golem-vm-ssh-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const bin = join(dir, 'ssh')
  const argsFile = join(dir, 'args.json')
  writeFileSync(bin, `#!/bin/sh\nprintf '%s\\n' "$@" > '${argsFile}'\n${script}\n`, { mode: 0o755 })
  return { bin, argsFile }
}

const sink = () => {
  const chunks: string[] = []
  return { write: (chunk: Uint8Array) => chunks.push(Buffer.from(chunk).toString()), text: () => chunks.join('') }
}

test("ssh's exit status and stderr are passed through", async (t) => {
  const { bin, argsFile } = fakeSsh(t, 'echo "remote said no" >&2; exit 7')
  const stderr = sink()
  const outcome = await runSsh(['-p', '1', 'ubuntu@h', 'hostname'], stderr, bin)
  assert.deepEqual(outcome, { exitCode: 7, hostKeyChanged: false })
  assert.equal(stderr.text(), 'remote said no\n')
  assert.equal(readFileSync(argsFile, 'utf8'), '-p\n1\nubuntu@h\nhostname\n')
})

test("a changed host key is recognised from ssh's own refusal", async (t) => {
  const { bin } = fakeSsh(
    t,
    [
      'echo "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@" >&2',
      'echo "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @" >&2',
      'echo "Host key verification failed." >&2',
      'exit 255',
    ].join('\n'),
  )
  const outcome = await runSsh([], sink(), bin)
  assert.deepEqual(outcome, { exitCode: 255, hostKeyChanged: true })
})

test('a signal that ends ssh gives 128 + its number; a missing ssh says what to install', async (t) => {
  const { bin } = fakeSsh(t, 'kill -TERM $$')
  assert.equal((await runSsh([], sink(), bin)).exitCode, 143)
  await assert.rejects(runSsh([], sink(), '/nonexistent/ssh'), { code: 'SSH_UNAVAILABLE', message: /openssh-client/ })
})
