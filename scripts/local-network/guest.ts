/**
 * The test guest for the QEMU driver: `scripts/test-guest/build.sh` builds
 * it (or reuses its cache, keyed by the script's content, under
 * `.cache/test-guest/`) and prints the image catalogue's path as its last
 * stdout line. Its progress lines (stderr) become the step's detail.
 *
 * @module
 */
import { join } from 'node:path'
import { runCommand } from './proc.js'
import type { Ui } from './ui.js'

/** The images the test-guest script builds, and its `--only` value for each. */
export const TEST_GUESTS: Readonly<Record<string, string>> = { 'tiny-test': 'tiny', 'debian-12-test': 'debian-12-test' }

/** Builds or reuses the guest `image`; resolves with the catalogue path. */
export async function buildGuest(opts: {
  repoRoot: string
  image: string
  ui: Ui
  logFile: string
  env: NodeJS.ProcessEnv
  signal: AbortSignal
}): Promise<string> {
  const only = TEST_GUESTS[opts.image]
  if (only === undefined) throw new Error(`${opts.image} is not a test guest (${Object.keys(TEST_GUESTS).join(', ')})`)
  const step = opts.ui.step(`test guest ${opts.image}: built once (a few minutes), then reused from .cache/test-guest`)
  const seen = { cacheHit: false }
  const result = await runCommand('bash', [join(opts.repoRoot, 'scripts/test-guest/build.sh'), '--only', only], {
    env: opts.env,
    cwd: opts.repoRoot,
    // A cold Debian build downloads ~200 packages and runs debootstrap; the script itself waits up to 30 min for another build's lock.
    timeoutMs: 40 * 60_000,
    signal: opts.signal,
    logFile: opts.logFile,
    onStderrLine: (line) => {
      const text = line.replace(/^\[test-guest [0-9:]+\] /, '')
      if (/^cache hit|: cached$/.test(text)) seen.cacheHit = true
      step.update(text.length > 120 ? `${text.slice(0, 117)}...` : text)
    },
  })
  const catalog = result.stdout.trim().split('\n').at(-1) ?? ''
  if (result.aborted) {
    step.fail('interrupted')
    throw new Error('interrupted while building the test guest')
  }
  if (result.code !== 0 || !catalog.endsWith('.json')) {
    const why = result.timedOut ? 'timed out' : `exited with ${result.code ?? 'a signal'}`
    step.fail(why)
    const tail = result.stderr
      .trim()
      .split('\n')
      .slice(-15)
      .map((l) => `    ${l}`)
      .join('\n')
    throw new Error(`building the test guest failed (${why}); its last lines:\n${tail}\n    (full log: ${opts.logFile})`)
  }
  step.done(seen.cacheHit ? `reused from the cache (${catalog})` : `built (${catalog})`)
  return catalog
}
