/**
 * The NoCloud seed: an ISO 9660 volume labelled `cidata` holding `user-data`,
 * `meta-data` and, for a guest with a fixed address, `network-config` from
 * `domain/cloud-init.ts`, which cloud-init finds by its label on any block device.
 *
 * Written by `genisoimage` (or `xorriso -as genisoimage`, or `mkisofs`)
 * through `infra/exec/run.ts` rather than in-process: the names `user-data`
 * and `meta-data` are not valid plain ISO 9660 names, so a correct image
 * needs Rock Ridge and Joliet records, which these Debian-packaged tools
 * (the ones `cloud-localds` uses) write correctly for every guest; an
 * in-process writer would be a second ISO implementation to get right.
 *
 * @module
 */
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { CloudInitDocuments } from '../../domain/cloud-init.js'
import { ExecFailure, run } from '../../infra/exec/run.js'

/** The tools that can write the seed, in order of preference. */
export const ISO_TOOLS = ['genisoimage', 'xorriso', 'mkisofs'] as const

export const SEED_LABEL = 'cidata'

/** Arguments that write `output` with label `cidata` from `files` (their base names become the file names). */
export function seedIsoArgs(toolPath: string, output: string, files: readonly string[]): string[] {
  const common = ['-quiet', '-output', output, '-volid', SEED_LABEL, '-joliet', '-rock', '-input-charset', 'utf-8', ...files]
  return toolPath.endsWith('xorriso') ? ['-as', 'genisoimage', ...common] : common
}

export interface SeedOptions {
  /** Path of genisoimage, xorriso or mkisofs. */
  readonly tool: string
  readonly timeoutMs: number
  readonly signal: AbortSignal
}

/**
 * Writes `<dir>/seed.iso` from the documents. The plain files are written to
 * a scratch folder inside `dir` and removed afterwards, whatever happens.
 */
export async function writeSeedIso(dir: string, isoName: string, docs: CloudInitDocuments, opts: SeedOptions): Promise<void> {
  const scratch = join(dir, 'seed-src')
  await rm(scratch, { recursive: true, force: true })
  await mkdir(scratch, { mode: 0o700 })
  try {
    const documents: [string, string | undefined][] = [
      ['user-data', docs.userData],
      ['meta-data', docs.metaData],
      ['network-config', docs.networkConfig],
    ]
    const files: string[] = []
    for (const [name, text] of documents) {
      if (text === undefined) continue
      files.push(join(scratch, name))
      await writeFile(join(scratch, name), text, { mode: 0o600 })
    }
    const args = seedIsoArgs(opts.tool, join(dir, isoName), files)
    const once = () => run(opts.tool, args, { timeoutMs: opts.timeoutMs, signal: opts.signal })
    // xorriso 1.5.4 was seen to crash (SIGSEGV) once in many runs: one retry for a tool that ran and failed.
    await once().catch((error: unknown) => {
      if (error instanceof ExecFailure && error.kind === 'exit') return once()
      throw error
    })
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}
