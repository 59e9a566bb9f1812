/**
 * What a benchmark reports: figures with their reference run, ratio and
 * target, and the table the runner prints.
 *
 * @module
 */
import type { Scope } from './proc.js'
import { fmt } from './stats.js'

export interface Figure {
  readonly name: string
  readonly value: number | null
  readonly unit: string
  /** The reference run in the same invocation (or the fake's own time, a bare server, …). */
  readonly reference?: { readonly label: string; readonly value: number | null; readonly unit?: string }
  /** value ÷ reference unless given. */
  readonly ratio?: number | null
  readonly target?: string
  /** undefined: reported without a target. */
  readonly pass?: boolean
  readonly note?: string
}

export interface BenchContext {
  readonly scope: Scope
  readonly signal: AbortSignal
  /** Set by BENCH_PROFILE=1: benchmarks run the daemon with --cpu-prof into this directory. */
  readonly profileDir: string | undefined
  figure(f: Figure): void
  note(text: string): void
  progress(text: string): void
}

/** The daemon's Node flags for BENCH_PROFILE=1 (a CPU profile into `profileDir`), else none. */
export function profileArgs(ctx: Pick<BenchContext, 'profileDir'>): string[] {
  return ctx.profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${ctx.profileDir}`]
}

export interface Benchmark {
  readonly name: string
  readonly title: string
  /** Hard time limit; the runner aborts and cleans up after it. */
  readonly budgetMs: number
  run(ctx: BenchContext): Promise<void>
}

/** Thrown by a benchmark that cannot run here (e.g. the test guest is not built). */
export class Skip extends Error {
  override readonly name = 'Skip'
}

export interface BenchOutcome {
  readonly name: string
  readonly title: string
  readonly figures: Figure[]
  readonly notes: string[]
  readonly seconds: number
  readonly skipped?: string
  readonly error?: string
}

export function ratioOf(f: Figure): number | null {
  if (f.ratio !== undefined) return f.ratio
  const ref = f.reference?.value
  if (f.value === null || ref === undefined || ref === null || ref === 0) return null
  return f.value / ref
}

const verdict = (f: Figure) => (f.pass === undefined ? '' : f.pass ? 'PASS' : 'MISS')

/** Plain-text table of the outcomes. */
export function table(outcomes: readonly BenchOutcome[]): string {
  const rows: string[][] = [['benchmark', 'figure', 'value', 'reference', 'ratio', 'target', '']]
  for (const o of outcomes) {
    if (o.skipped !== undefined) rows.push([o.name, `skipped: ${o.skipped}`, '', '', '', '', ''])
    if (o.error !== undefined) rows.push([o.name, `FAILED: ${o.error.split('\n')[0] ?? ''}`.slice(0, 160), '', '', '', '', 'MISS'])
    for (const f of o.figures) {
      const ref =
        f.reference === undefined ? '' : `${f.reference.label} ${fmt(f.reference.value)}${f.reference.unit === undefined ? '' : ` ${f.reference.unit}`}`
      const ratio = ratioOf(f)
      rows.push([o.name, f.name, `${fmt(f.value)} ${f.unit}`, ref, ratio === null ? '' : `${fmt(ratio)}×`, f.target ?? '', verdict(f)])
    }
  }
  const widths = rows[0]?.map((_, i) => Math.min(70, Math.max(...rows.map((r) => (r[i] ?? '').length)))) ?? []
  return rows
    .map((r, n) => {
      const line = r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd()
      return n === 0 ? `${line}\n${'-'.repeat(line.length)}` : line
    })
    .join('\n')
}
