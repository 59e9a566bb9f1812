/**
 * `qemu-img`: a VM's disk is a qcow2 overlay on the read-only base image,
 * sized to the requested storage; the base is never written to.
 *
 * @module
 */
import { z } from 'zod'
import { run } from '../../infra/exec/run.js'

export interface OverlaySpec {
  /** The base image (absolute path; recorded in the overlay as its backing file). */
  readonly base: string
  readonly baseFormat: 'qcow2' | 'raw'
  readonly overlay: string
  readonly sizeGb: number
}

/** `qemu-img create -f qcow2 -F <fmt> -b <base> <overlay> <N>G`. */
export const overlayArgs = (s: OverlaySpec): string[] => ['create', '-q', '-f', 'qcow2', '-F', s.baseFormat, '-b', s.base, s.overlay, `${s.sizeGb}G`]

/** `qemu-img info` without taking the image's lock (running VMs hold the base open). */
export const infoArgs = (path: string): string[] => ['info', '-U', '--output=json', path]

const Info = z.looseObject({ 'virtual-size': z.number(), format: z.string() })

/** Reads an image's virtual size in bytes and its format. */
export function parseInfo(stdout: string): { virtualSize: number; format: string } {
  const info = Info.parse(JSON.parse(stdout))
  return { virtualSize: info['virtual-size'], format: info.format }
}

export interface QemuImgOptions {
  readonly binary: string
  readonly timeoutMs: number
  readonly signal: AbortSignal
}

/** Creates the overlay; rejects with the tool's ExecFailure. */
export async function createOverlay(spec: OverlaySpec, opts: QemuImgOptions): Promise<void> {
  await run(opts.binary, overlayArgs(spec), { timeoutMs: opts.timeoutMs, signal: opts.signal })
}

/** The image's virtual size and format; rejects with ExecFailure or a parse error. */
export async function imageInfo(path: string, opts: QemuImgOptions): Promise<{ virtualSize: number; format: string }> {
  const { stdout } = await run(opts.binary, infoArgs(path), { timeoutMs: opts.timeoutMs, signal: opts.signal })
  return parseInfo(stdout)
}
