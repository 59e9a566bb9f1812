#!/usr/bin/env node
// Checks every workspace package's package.json against what `npm pack` would
// publish (publint, strict: warnings fail too): each export, bin and types
// entry must name a file that exists and is packed. Run after `tsc -b`.
import { readFileSync } from 'node:fs'
import { publint } from 'publint'
import { formatMessage } from 'publint/utils'

const root = new URL('..', import.meta.url).pathname
const { workspaces } = JSON.parse(readFileSync(`${root}package.json`, 'utf8'))
let failed = 0
for (const dir of workspaces) {
  const pkgDir = `${root}${dir}`
  const pkg = JSON.parse(readFileSync(`${pkgDir}/package.json`, 'utf8'))
  const { messages } = await publint({ pkgDir, strict: true })
  const problems = messages.filter((m) => m.type !== 'suggestion')
  for (const m of problems) console.error(`${dir}: ${m.type}: ${formatMessage(m, pkg) ?? m.code}`)
  failed += problems.length
}
console.log(failed === 0 ? `${workspaces.length} packages: every exported file exists and is packed` : `${failed} problem(s)`)
process.exit(failed === 0 ? 0 : 1)
