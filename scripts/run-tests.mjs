#!/usr/bin/env node
// Runs the compiled test files with Node's own test runner.
// `tsc -b` has compiled every package's src/ and test/ into dist/ before this runs.
// Usage: run-tests.mjs [--unit] [path-filter...]
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const args = process.argv.slice(2)
const unitOnly = args.includes('--unit')
const filters = args.filter((a) => !a.startsWith('--'))

// Walks a directory for compiled test files, skipping nothing but node_modules.
function findTests(dir, out = []) {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules') continue
    const path = join(dir, entry)
    if (statSync(path).isDirectory()) findTests(path, out)
    else if (entry.endsWith('.test.js')) out.push(path)
  }
  return out
}

const files = readdirSync(join(root, 'packages'))
  .flatMap((pkg) => {
    const dist = join(root, 'packages', pkg, 'dist')
    try {
      return findTests(dist)
    } catch {
      return []
    }
  })
  .map((f) => relative(root, f))
  .filter((f) => !unitOnly || f.includes('/dist/src/'))
  .filter((f) => filters.length === 0 || filters.some((p) => f.includes(p)))
  .sort()

if (files.length === 0) {
  console.error('no test files found: run `npm run typecheck` first')
  process.exit(1)
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2'
const result = spawnSync(
  process.execPath,
  ['--enable-source-maps', '--expose-gc', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
  { cwd: root, stdio: 'inherit' },
)
process.exit(result.status ?? 1)
