#!/usr/bin/env node
// Runs shellcheck (Debian's `shellcheck` package) on every shell script of the
// repository: files ending in .sh and files whose #! line names sh, bash, dash
// or ash (the test guests' init scripts, .ci/run). Settings: .shellcheckrc.
// Usage: lint-shell.mjs [--list]   (--list prints the files and checks nothing)
import { execFileSync, spawnSync } from 'node:child_process'
import { openSync, readSync, closeSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const SHEBANG = /^#!\s*(?:\/usr)?\/bin\/(?:env\s+)?(?:sh|bash|dash|ash)\b/

// The files git tracks, and the ones it does not ignore: a new script is checked before its first commit.
const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
  cwd: root,
  encoding: 'utf8',
  maxBuffer: 64 * 1024 * 1024,
})
  .split('\0')
  .filter((f) => f !== '' && isShellScript(f))
  .sort()

function isShellScript(file) {
  if (file.endsWith('.sh')) return true
  let fd
  try {
    fd = openSync(join(root, file), 'r')
  } catch {
    return false // listed by git but deleted in the work tree
  }
  try {
    const head = Buffer.alloc(64)
    const n = readSync(fd, head, 0, head.length, 0)
    return SHEBANG.test(head.subarray(0, n).toString('latin1'))
  } catch {
    return false // a directory (a submodule) or unreadable
  } finally {
    closeSync(fd)
  }
}

if (process.argv.includes('--list')) {
  console.log(files.join('\n'))
  process.exit(0)
}
const result = spawnSync('shellcheck', files, { cwd: root, stdio: 'inherit' })
if (result.error !== undefined) {
  console.error(`shellcheck could not run (${result.error.message}); install it: apt-get install shellcheck`)
  process.exit(1)
}
if (result.status === 0) console.log(`shellcheck: ${files.length} shell scripts, no findings`)
process.exit(result.status ?? 1)
