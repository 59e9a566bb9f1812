#!/usr/bin/env node
// Rewrites the README's table of provider settings from packages/provider/src/settings.ts
// (compiled: `npx tsc -b` first). The provider's tests fail when the README has drifted.
import { readFileSync, writeFileSync } from 'node:fs'

const { withSettingsTable } = await import('../packages/provider/dist/src/settings.js')
const readme = new URL('../README.md', import.meta.url)
const before = readFileSync(readme, 'utf8')
const after = withSettingsTable(before)
if (after === before) {
  console.log('README.md: the settings table is up to date')
} else {
  writeFileSync(readme, after)
  console.log('README.md: the settings table was rewritten')
}
