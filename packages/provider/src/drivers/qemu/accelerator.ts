/**
 * Chooses QEMU's accelerator once, at start. `/dev/kvm` existing is not
 * enough: on hosts whose `/dev/kvm` comes from `kvm_pvm` it opens, but
 * ordinary guests hang under it, and `-accel kvm -accel tcg` does not fall
 * back because KVM initialises. So KVM is used only when the CPU advertises
 * vmx/svm, `/dev/kvm` opens, and a tiny guest actually runs under KVM
 * (enters 64-bit long mode and exits through a debug port) within a short
 * deadline. `GOLEM_PROVIDER_QEMU_ACCEL=kvm|tcg` skips the checks.
 *
 * @module
 */
import { constants } from 'node:fs'
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ExecFailure, run } from '../../infra/exec/run.js'
import type { Accelerator } from './qemu-argv.js'

export type AccelSetting = 'auto' | 'kvm' | 'tcg'

/** What was found on the host; later checks are skipped (undefined) once one fails. */
export interface AccelFacts {
  /** The virtualisation flag in /proc/cpuinfo, or null. */
  readonly cpuFlag: 'vmx' | 'svm' | null
  /** Undefined when /dev/kvm opens read-write; otherwise why not. */
  readonly kvmOpenError?: string | undefined
  /** The boot probe's outcome: 'ok', or what went wrong. */
  readonly probe?: { readonly ok: boolean; readonly detail: string } | undefined
}

export interface AccelDecision {
  readonly accelerator: Accelerator
  /** One sentence for the start-up log. */
  readonly reason: string
}

/** The decision table: pure, so every row is tested. */
export function decideAccelerator(setting: AccelSetting, facts: AccelFacts | undefined): AccelDecision {
  if (setting !== 'auto') return { accelerator: setting, reason: `forced by GOLEM_PROVIDER_QEMU_ACCEL=${setting}` }
  if (facts === undefined) return { accelerator: 'tcg', reason: 'the host was not checked' }
  if (facts.cpuFlag === null) {
    return {
      accelerator: 'tcg',
      reason: 'software emulation: the CPU advertises no vmx/svm in /proc/cpuinfo (a /dev/kvm without them, such as kvm_pvm, cannot run ordinary guests)',
    }
  }
  if (facts.kvmOpenError !== undefined) return { accelerator: 'tcg', reason: `software emulation: /dev/kvm cannot be opened (${facts.kvmOpenError})` }
  if (facts.probe === undefined) return { accelerator: 'tcg', reason: 'software emulation: KVM was not probed' }
  if (!facts.probe.ok) return { accelerator: 'tcg', reason: `software emulation: a test guest did not run under KVM (${facts.probe.detail})` }
  return { accelerator: 'kvm', reason: `KVM: ${facts.cpuFlag} present, /dev/kvm opens, ${facts.probe.detail}` }
}

/** Finds vmx or svm among the `flags` lines of /proc/cpuinfo. */
export function cpuVirtFlag(cpuinfo: string): 'vmx' | 'svm' | null {
  for (const line of cpuinfo.split('\n')) {
    if (!line.startsWith('flags')) continue
    const flags = new Set(
      line
        .slice(line.indexOf(':') + 1)
        .trim()
        .split(/\s+/),
    )
    if (flags.has('vmx')) return 'vmx'
    if (flags.has('svm')) return 'svm'
  }
  return null
}

/**
 * A multiboot image (174 bytes) loaded at 1 MiB: it builds an identity page
 * table, enables PAE and EFER.LME, turns on paging, far-jumps into a 64-bit
 * code segment and writes 0x10 to port 0xf4 (`isa-debug-exit`), so QEMU
 * exits with status (0x10 << 1) | 1 = 33. Assembled from (GNU as, --64, then
 * `ld -Ttext=0x100000 --oformat binary`): multiboot header (flags 0x10000,
 * entry 0x100020); `movl $0x102003,0x101000; movl $0x103003,0x102000;
 * movl $0x83,0x103000; mov %edi,%cr3; cr4 |= 0x20; EFER |= 0x100;
 * cr0 |= 0x80000001; lgdt; ljmp $8,$long_mode; long_mode: out 0x10,0xf4; hlt`.
 */
const PROBE_IMAGE = Buffer.from(
  '02b0ad1b00000100fe4f51e40000100000001000000000000000000020001000bf00101000c70703201000c7470400000000' +
    'c7870010000003301000c7870410000000000000c7870020000083000000c78704200000000000000f22df0f20e083c8200f' +
    '22e0b9800000c00f320d000100000f300f20c00d010000800f22c00f0115a8001000ea8d001000080066baf400b010eef4eb' +
    'fd90000000000000000000000000009a20000f0098001000',
  'hex',
)
const PROBE_EXIT_CODE = 33

/**
 * Boots the probe image under `accel`; resolves with whether it reached long
 * mode and exited within `timeoutMs` (a hung KVM is killed at the deadline).
 */
export async function bootProbe(qemuBinary: string, accel: Accelerator, timeoutMs: number): Promise<{ ok: boolean; detail: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'golem-accel-probe-'))
  const image = join(dir, 'probe.bin')
  const started = performance.now()
  try {
    await writeFile(image, PROBE_IMAGE)
    const args = [
      '-accel',
      accel,
      '-machine',
      'q35',
      '-nodefaults',
      '-display',
      'none',
      '-no-reboot',
      '-m',
      '16',
      '-kernel',
      image,
      '-device',
      'isa-debug-exit,iobase=0xf4,iosize=4',
    ]
    await run(qemuBinary, args, { timeoutMs })
    return { ok: false, detail: 'the test guest stopped without reaching 64-bit mode' }
  } catch (error) {
    const ms = Math.round(performance.now() - started)
    if (error instanceof ExecFailure && error.kind === 'exit' && error.exitCode === PROBE_EXIT_CODE)
      return { ok: true, detail: `a test guest reached 64-bit mode under ${accel} in ${ms} ms` }
    if (error instanceof ExecFailure && error.kind === 'timeout') return { ok: false, detail: `the test guest hung for ${timeoutMs} ms` }
    return { ok: false, detail: error instanceof ExecFailure ? error.reason : String(error) }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

async function kvmOpenError(path: string): Promise<string | undefined> {
  try {
    const handle = await open(path, constants.O_RDWR)
    await handle.close()
    return undefined
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error)
  }
}

export interface AccelProbeOptions {
  readonly setting: AccelSetting
  readonly qemuBinary: string
  readonly probeTimeoutMs?: number
  readonly cpuinfoPath?: string
  readonly kvmPath?: string
}

/** Checks the host step by step (stopping at the first failure) and decides. */
export async function detectAccelerator(opts: AccelProbeOptions): Promise<AccelDecision> {
  if (opts.setting !== 'auto') return decideAccelerator(opts.setting, undefined)
  const cpuinfo = await readFile(opts.cpuinfoPath ?? '/proc/cpuinfo', 'utf8').catch(() => '')
  const cpuFlag = cpuVirtFlag(cpuinfo)
  if (cpuFlag === null) return decideAccelerator('auto', { cpuFlag })
  const openError = await kvmOpenError(opts.kvmPath ?? '/dev/kvm')
  if (openError !== undefined) return decideAccelerator('auto', { cpuFlag, kvmOpenError: openError })
  const probe = await bootProbe(opts.qemuBinary, 'kvm', opts.probeTimeoutMs ?? 5000)
  return decideAccelerator('auto', { cpuFlag, probe })
}
