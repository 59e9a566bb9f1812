/**
 * The committed artifacts (src/artifacts.ts: ABI and bytecode) are exactly
 * what the Solidity sources compile to: a change to a contract that was not
 * rebuilt, or a hand edit of the artifacts, fails here.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { ARTIFACTS_MODULE, compileContracts, renderArtifactsModule } from '../src/build/compile.js'

test('src/artifacts.ts matches a fresh compilation of contracts/ (else: npm run -w @golem-vm/payments build:contracts)', async () => {
  const fresh = renderArtifactsModule(await compileContracts())
  const committed = readFileSync(ARTIFACTS_MODULE, 'utf8')
  assert.ok(committed === fresh, 'src/artifacts.ts differs from the compiled sources: run npm run -w @golem-vm/payments build:contracts and commit the result')
})
