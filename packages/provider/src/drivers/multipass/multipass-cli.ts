/**
 * The Multipass command line as data: argv builders and parsers of its JSON
 * output. Pure, so both are tested by equality on recorded real outputs.
 *
 * @module
 */
import { z } from 'zod'
import type { LaunchSpec, DriverVmState } from '../driver.js'
import { describeNetwork, forwardTarget, type VmNetwork } from './vm-network.js'

/** `multipass launch` with the user-data on stdin (`--cloud-init -`): no file to leave behind. */
export function launchArgs(spec: LaunchSpec, timeoutSeconds: number): string[] {
  const image = spec.image.multipass ?? spec.image.name
  const { cpu, memory, storage } = spec.resources
  return [
    'launch',
    image,
    '--name',
    spec.instance,
    '--cpus',
    String(cpu),
    '--memory',
    `${memory}G`,
    '--disk',
    `${storage}G`,
    '--cloud-init',
    '-',
    '--timeout',
    String(timeoutSeconds),
  ]
}

export const infoArgs = (instance: string) => ['info', instance, '--format', 'json']
export const listArgs = () => ['list', '--format', 'json']
export const startArgs = (instance: string) => ['start', instance]
export const stopArgs = (instance: string, force: boolean) => (force ? ['stop', '--force', instance] : ['stop', instance])
/** Deletes and purges exactly this instance; never the host-wide `multipass purge`. */
export const deleteArgs = (instance: string) => ['delete', '--purge', instance]
export const versionArgs = () => ['version', '--format', 'json']

// Multipass prints some numbers as strings ("cpu_count": "2"); accept both.
const numeric = z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)])

const InfoEntry = z.looseObject({
  state: z.string(),
  ipv4: z.array(z.string()).default([]),
  cpu_count: numeric.or(z.literal('')).optional(),
  memory: z.looseObject({ total: numeric.optional() }).optional(),
  disks: z.record(z.string(), z.looseObject({ total: numeric.optional() })).optional(),
  release: z.string().optional(),
})
const InfoOutput = z.looseObject({ info: z.record(z.string(), InfoEntry) })
const ListOutput = z.looseObject({
  list: z.array(z.looseObject({ name: z.string(), state: z.string(), ipv4: z.array(z.string()).default([]) })),
})
const VersionOutput = z.looseObject({ multipass: z.string(), multipassd: z.string().optional() })

export interface InstanceInfo {
  readonly state: string
  readonly ipv4: readonly string[]
  readonly cpuCount: number | null
  readonly memoryBytes: number | null
  readonly diskBytes: number | null
}

const parseJson = (text: string): unknown => JSON.parse(text)

/** Parses `multipass info <name> --format json`; memory and disk totals are bytes (`memory.total`, `disks.*.total`). */
export function parseInfo(stdout: string, instance: string): InstanceInfo | undefined {
  const entry = InfoOutput.parse(parseJson(stdout)).info[instance]
  if (entry === undefined) return undefined
  const disks = Object.values(entry.disks ?? {}).map((d) => d.total ?? 0)
  return {
    state: entry.state,
    ipv4: entry.ipv4,
    cpuCount: typeof entry.cpu_count === 'number' ? entry.cpu_count : null,
    memoryBytes: entry.memory?.total ?? null,
    diskBytes: disks.length > 0 ? disks.reduce((a, b) => a + b, 0) : null,
  }
}

/** Parses `multipass list --format json` into each instance's name and state. */
export function parseList(stdout: string): { name: string; info: InstanceInfo }[] {
  return ListOutput.parse(parseJson(stdout)).list.map(({ name, state, ipv4 }) => ({
    name,
    info: { state, ipv4, cpuCount: null, memoryBytes: null, diskBytes: null },
  }))
}

export function parseVersion(stdout: string): string {
  return VersionOutput.parse(parseJson(stdout)).multipass
}

/**
 * Maps a Multipass state (Running, Stopped, Starting, Restarting, Delayed Shutdown,
 * Suspending, Suspended, Deleted, Unknown) to the driver's view. A running
 * instance is reached at its first address inside Multipass's VM network
 * (`network`): Multipass also lists addresses the guest reports about itself,
 * which may point anywhere. A running instance without such an address is
 * not usable, so it is "other".
 */
export function toDriverState(info: InstanceInfo, network: VmNetwork): DriverVmState {
  const state = info.state.toLowerCase()
  const ip = forwardTarget(info.ipv4, network)
  if (state === 'running' && ip !== undefined) return { kind: 'running', endpoint: { host: ip, port: 22 }, ipAddress: ip }
  if (state === 'running' && info.ipv4.length > 0) {
    const listed = info.ipv4
      .slice(0, 4)
      .map((a) => a.replace(/[^0-9a-fA-F.:]/g, '?').slice(0, 39))
      .join(', ')
    return {
      kind: 'other',
      detail: `Running, but none of its addresses (${listed}) is a VM address in Multipass's network ${describeNetwork(network)}; its SSH port is not forwarded`,
    }
  }
  if (state === 'stopped') return { kind: 'stopped' }
  if (state === 'deleted') return { kind: 'absent' }
  return { kind: 'other', detail: info.state }
}

/** True when Multipass's error says the instance does not exist. */
export const isMissingInstance = (stderr: string) => /does not exist/i.test(stderr)
