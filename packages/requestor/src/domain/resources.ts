/**
 * What a renter asks for: the VM name, its resources (a named size, or all
 * three of CPU, memory and storage) and the image, checked on this side with
 * the provider's own schemas so a typo is reported before anything is sent.
 *
 * @module
 */
import { CpuCores, ImageName, MemoryGb, StorageGb, VM_SIZES, VmName, VmSize, type VmResources } from '@golem-vm/protocol'
import type { z } from 'zod'
import { RequestorError } from './errors.js'

/** The create options as typed on the command line (strings, unparsed). */
export interface ResourceOptions {
  readonly size?: string | undefined
  readonly cpu?: string | undefined
  readonly memory?: string | undefined
  readonly storage?: string | undefined
}

const firstIssue = (result: z.ZodSafeParseResult<unknown>): string | undefined =>
  result.success ? undefined : (result.error.issues[0]?.message ?? 'is invalid')

// Parses "4" as 4; anything that is not a plain decimal number stays NaN, which the schemas refuse.
const numberOf = (text: string): number => (/^\d{1,9}$/.test(text.trim()) ? Number(text.trim()) : Number.NaN)

/** Checks a VM name against the provider's rules; returns the problem, if any. */
export function nameProblem(name: string): string | undefined {
  const issue = firstIssue(VmName.safeParse(name))
  return issue === undefined ? undefined : `the name "${name}" ${issue}`
}

/** Checks an image name; returns the problem, if any. */
export function imageProblem(image: string): string | undefined {
  const issue = firstIssue(ImageName.safeParse(image))
  return issue === undefined ? undefined : `--image ${issue}`
}

function sizeResources(size: string, problems: string[]): VmResources | undefined {
  const parsed = VmSize.safeParse(size)
  if (parsed.success) return VM_SIZES[parsed.data]
  problems.push(`--size must be one of ${Object.keys(VM_SIZES).join(', ')} (got "${size}")`)
  return undefined
}

function explicitResources(opts: ResourceOptions, problems: string[]): VmResources | undefined {
  const fields = [
    ['cpu', opts.cpu, CpuCores],
    ['memory', opts.memory, MemoryGb],
    ['storage', opts.storage, StorageGb],
  ] as const
  const missing = fields.filter(([, value]) => value === undefined).map(([flag]) => `--${flag}`)
  if (missing.length > 0) {
    problems.push(`give --size, or all of --cpu, --memory and --storage (missing ${missing.join(', ')})`)
    return undefined
  }
  const values: Partial<Record<'cpu' | 'memory' | 'storage', number>> = {}
  for (const [flag, text, schema] of fields) {
    const result = schema.safeParse(numberOf(text ?? ''))
    if (result.success) values[flag] = result.data
    else problems.push(`--${flag}: ${firstIssue(result) ?? 'is invalid'} (got "${text ?? ''}")`)
  }
  const { cpu, memory, storage } = values
  return cpu === undefined || memory === undefined || storage === undefined ? undefined : { cpu, memory, storage }
}

/**
 * Resolves the resources of a create: exactly one of `--size` or the three
 * explicit values. Throws INVALID_ARGUMENT listing every problem at once.
 */
export function resolveResources(opts: ResourceOptions): VmResources {
  const problems: string[] = []
  const explicit = opts.cpu !== undefined || opts.memory !== undefined || opts.storage !== undefined
  let resources: VmResources | undefined
  if (opts.size !== undefined && explicit) problems.push('give either --size or --cpu/--memory/--storage, not both')
  else if (opts.size !== undefined) resources = sizeResources(opts.size, problems)
  else resources = explicitResources(opts, problems)
  if (resources === undefined || problems.length > 0) throw new RequestorError('INVALID_ARGUMENT', problems.join('; '))
  return resources
}

/**
 * The resources a provider's advertisement says are free, for the three
 * that matter; lists what falls short of `wanted` (empty when it fits).
 */
export function capacityShortfall(advertised: Readonly<Record<string, number>>, wanted: VmResources): string[] {
  const units = { cpu: 'CPU', memory: 'GB memory', storage: 'GB storage' } as const
  return (['cpu', 'memory', 'storage'] as const)
    .filter((key) => (advertised[key] ?? 0) < wanted[key])
    .map((key) => `${wanted[key]} ${units[key]} asked, ${advertised[key] ?? 0} free`)
}
