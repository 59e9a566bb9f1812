/**
 * `npm run -w @golem-vm/payments build:contracts`: compiles the contracts
 * and writes `src/artifacts.ts`. With `--check` it writes nothing and exits 1
 * when the committed file differs from a fresh compilation.
 *
 * @module
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { relative } from 'node:path'
import { ARTIFACTS_MODULE, compileContracts, renderArtifactsModule } from '../build/compile.js'

const check = process.argv.includes('--check')
const text = renderArtifactsModule(await compileContracts())
const where = relative(process.cwd(), ARTIFACTS_MODULE)
if (check) {
  const committed = readFileSync(ARTIFACTS_MODULE, 'utf8')
  if (committed !== text) {
    console.error(`${where} differs from a fresh compilation of contracts/: run npm run -w @golem-vm/payments build:contracts and commit it`)
    process.exit(1)
  }
  console.log(`${where} matches the sources`)
} else {
  writeFileSync(ARTIFACTS_MODULE, text)
  console.log(`wrote ${where}`)
}
