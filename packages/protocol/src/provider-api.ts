/**
 * The provider's HTTP API: request and response schemas, shared by the
 * provider (validation, OpenAPI) and the requestor (client-side checks).
 * Field names follow the original provider 0.1.21 so its requestor keeps working.
 *
 * @module
 */
import { z } from 'zod'
import { PortVerificationMode, PortVerificationReport } from './port-report.js'
import { parseSshPublicKey } from './ssh-key.js'
import { OfferPricing, StreamId, VmPayment } from './pricing.js'

export const API_PREFIX = '/api/v1'
export const DEFAULT_PROVIDER_PORT = 7466

export const VM_NAME_PATTERN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/
export const CPU_CHOICES = [1, 2, 4, 8, 16] as const
export const MEMORY_CHOICES_GB = [1, 2, 4, 8, 16, 32, 64] as const
export const MIN_STORAGE_GB = 10
/** No real disk is this large; the bound keeps arithmetic exact and errors clear. */
export const MAX_STORAGE_GB = 65_536

export const VmName = z
  .string()
  .min(3, 'must be at least 3 characters')
  .max(64, 'must be at most 64 characters')
  .regex(VM_NAME_PATTERN, 'must use only a-z, 0-9 and "-", and start and end with a letter or digit')
  .refine((name) => !name.includes('--'), 'must not contain "--"')
  .meta({ description: 'Name chosen by the renter; also the VM id in every later path.', example: 'my-vm' })

export const SshPublicKey = z
  .string()
  .max(16_384, 'is too long for an SSH public key')
  .superRefine((text, ctx) => {
    const parsed = parseSshPublicKey(text)
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: `is not an accepted OpenSSH public key: ${parsed.reason}` })
  })
  .meta({ description: 'OpenSSH public key: ssh-ed25519, ecdsa-sha2-nistp* or ssh-rsa (>= 2048 bits), one line.' })

const choice = (choices: readonly number[], what: string) =>
  z
    .number()
    .int(`${what} must be a whole number`)
    .refine((v) => choices.includes(v), `${what} must be one of ${choices.join(', ')}`)

export const CpuCores = choice(CPU_CHOICES, 'CPU cores').meta({ description: 'vCPUs: 1, 2, 4, 8 or 16.' })
export const MemoryGb = choice(MEMORY_CHOICES_GB, 'memory (GB)').meta({ description: 'GB: 1, 2, 4, 8, 16, 32 or 64.' })
export const StorageGb = z
  .number()
  .int('storage (GB) must be a whole number')
  .min(MIN_STORAGE_GB, `storage must be at least ${MIN_STORAGE_GB} GB`)
  .max(MAX_STORAGE_GB, `storage must be at most ${MAX_STORAGE_GB} GB`)
  .meta({ description: `Disk size in GB, at least ${MIN_STORAGE_GB}.` })

export const VmResources = z.strictObject({ cpu: CpuCores, memory: MemoryGb, storage: StorageGb })
export type VmResources = z.infer<typeof VmResources>

export const VM_SIZES = {
  small: { cpu: 1, memory: 1, storage: 10 },
  medium: { cpu: 2, memory: 4, storage: 20 },
  large: { cpu: 4, memory: 8, storage: 40 },
  xlarge: { cpu: 8, memory: 16, storage: 80 },
} as const satisfies Record<string, VmResources>
export type VmSizeName = keyof typeof VM_SIZES
export const VmSize = z.enum(Object.keys(VM_SIZES) as [VmSizeName, ...VmSizeName[]])

/** What a create request gets when it names no resources at all (the original's default). */
export const DEFAULT_VM_RESOURCES: VmResources = VM_SIZES.small
export const DEFAULT_IMAGE = '24.04'

export const ImageName = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9:._-]*$/, 'must be an image name from the provider catalogue, such as "24.04"')

/** Protocols a renter may ask a public port for. */
export const PortProtocol = z.enum(['tcp', 'udp']).meta({ description: 'Transport protocol of a mapped port.' })
export type PortProtocol = z.infer<typeof PortProtocol>

/** Most mappings a body may list at all; each provider's own limit (default 8) is lower or equal and checked by the provider. */
export const MAX_PORT_REQUESTS = 64

/** The guest port SSH uses; it always has its own mapping (`ssh_port`) and is never asked for. */
export const SSH_GUEST_PORT = 22

/** One port a renter asks for: a guest port and its protocol; the provider picks the public port. */
export const PortRequest = z
  .strictObject({
    guest: z
      .int('guest must be a whole number')
      .min(1, 'guest must be at least 1')
      .max(65_535, 'guest must be at most 65535')
      .meta({ description: 'Port inside the VM.', example: 8080 }),
    protocol: PortProtocol.default('tcp'),
  })
  .meta({ id: 'PortRequest' })
export type PortRequest = z.infer<typeof PortRequest>

/** One mapping as the provider reports it: where renters reach a guest port from outside. */
export const PortMapping = z
  .object({
    guest: z.int(),
    protocol: PortProtocol,
    public_port: z.int().meta({ description: "Port on the provider's public address, held for the VM's whole life (until the mapping is removed)." }),
    host: z.string().meta({ description: 'Public address of the provider to connect to.' }),
  })
  .meta({ id: 'PortMapping' })
export type PortMapping = z.infer<typeof PortMapping>

/**
 * The create body. Resources may be given in exactly one of four forms
 * (`resources`, `size`, flat `cpu`/`memory`/`storage`, or the seed README's
 * `cpu_cores`/`memory_gb`/`storage_gb`); forms that disagree are an error.
 */
export const CreateVmRequest = z
  .strictObject({
    name: VmName,
    ssh_key: SshPublicKey,
    resources: VmResources.optional(),
    size: VmSize.optional(),
    cpu: CpuCores.optional(),
    memory: MemoryGb.optional(),
    storage: StorageGb.optional(),
    cpu_cores: CpuCores.optional(),
    memory_gb: MemoryGb.optional(),
    storage_gb: StorageGb.optional(),
    image: ImageName.optional().meta({ description: 'Image from the provider catalogue; default "24.04" (Ubuntu 24.04).' }),
    ports: z
      .array(PortRequest)
      .max(MAX_PORT_REQUESTS, `ports may list at most ${MAX_PORT_REQUESTS} mappings`)
      .optional()
      .meta({ description: 'Guest ports to make reachable from outside, each on a public port the provider picks (besides SSH).' }),
    stream_id: StreamId.optional().meta({
      description:
        'The payment stream that pays for this VM (required by a priced provider): opened by the signer to this provider, in its token, bound to this VM name, at its rate or more.',
    }),
  })
  .superRefine((body, ctx) => {
    const result = resolveResourceForms(body)
    for (const message of result.problems) ctx.addIssue({ code: 'custom', message, path: ['resources'] })
  })
export type CreateVmRequest = z.infer<typeof CreateVmRequest>

type ResourceFields = Partial<Record<'cpu' | 'memory' | 'storage' | 'cpu_cores' | 'memory_gb' | 'storage_gb', number>> & {
  resources?: VmResources | undefined
  size?: VmSizeName | undefined
}

interface ResourceForm {
  readonly label: string
  readonly value: Partial<VmResources>
}

// Lists the resource forms a body uses, each with the values it names.
function givenForms(body: ResourceFields): ResourceForm[] {
  const forms: ResourceForm[] = []
  if (body.resources !== undefined) forms.push({ label: '"resources"', value: body.resources })
  if (body.size !== undefined) forms.push({ label: `size "${body.size}"`, value: VM_SIZES[body.size] })
  const flat = { cpu: body.cpu, memory: body.memory, storage: body.storage }
  if (Object.values(flat).some((v) => v !== undefined)) forms.push({ label: 'cpu/memory/storage', value: flat })
  const legacy = { cpu: body.cpu_cores, memory: body.memory_gb, storage: body.storage_gb }
  if (Object.values(legacy).some((v) => v !== undefined)) {
    forms.push({ label: 'cpu_cores/memory_gb/storage_gb', value: legacy })
  }
  return forms
}

const describe = (r: Partial<VmResources>) => `${r.cpu} CPU, ${r.memory} GB memory, ${r.storage} GB storage`

/**
 * Resolves the resources a create body asks for, or lists why it cannot:
 * an incomplete flat form, or two forms that disagree. Never falls back silently.
 */
export function resolveResourceForms(body: ResourceFields): { resources: VmResources; problems: string[] } {
  const forms = givenForms(body)
  const problems: string[] = []
  for (const form of forms) {
    const missing = (['cpu', 'memory', 'storage'] as const).filter((k) => form.value[k] === undefined)
    if (missing.length > 0) problems.push(`${form.label} is incomplete: all three values are required (missing ${missing.join(', ')})`)
  }
  const [first, ...others] = forms
  if (first === undefined) return { resources: DEFAULT_VM_RESOURCES, problems }
  for (const other of others) {
    const same = (['cpu', 'memory', 'storage'] as const).every((k) => other.value[k] === first.value[k])
    if (!same) {
      problems.push(`${first.label} (${describe(first.value)}) conflicts with ${other.label} (${describe(other.value)}); give the resources in one form only`)
    }
  }
  return { resources: first.value as VmResources, problems }
}

export const VmStatus = z.enum(['creating', 'starting', 'running', 'stopping', 'stopped', 'deleting', 'error'])
export type VmStatus = z.infer<typeof VmStatus>

const Timestamp = z.string().meta({ description: 'ISO 8601 UTC timestamp.', example: '2026-11-24T10:00:00.000Z' })

export const VmInfo = z.object({
  id: z.string().meta({ description: 'The VM id (same as its name).' }),
  name: z.string(),
  status: VmStatus,
  resources: VmResources,
  ip_address: z.string().nullable().meta({ description: 'Address of the VM on the provider host (private).' }),
  ssh_port: z.number().int().nullable().meta({ description: 'Public port of the SSH proxy for this VM.' }),
  created_at: Timestamp,
  updated_at: Timestamp,
  error_message: z.string().nullable(),
  image: z.string(),
  ports: z.array(PortMapping).optional().meta({ description: 'Mapped ports besides SSH (absent from providers that map none).' }),
  payment: VmPayment.optional().meta({ description: 'How the VM is paid for (absent when it is free).' }),
})
export type VmInfo = z.infer<typeof VmInfo>

export const VmAccessInfo = z.object({
  ssh_host: z.string().meta({ description: 'Public address of the provider to connect to.' }),
  ssh_port: z.number().int(),
  ssh_user: z.string().meta({ description: 'Default user of the image (also root with the same key).' }),
  vm_id: z.string(),
  multipass_name: z.string().meta({ description: 'Name of the instance in the VM backend.' }),
  ports: z.array(PortMapping).optional().meta({ description: 'Mapped ports besides SSH: connect to host:public_port.' }),
  ssh_host_keys: z
    .array(z.string())
    .optional()
    .meta({ description: "The VM's SSH host public keys (`ssh-ed25519 AAAA…`), issued by the provider: pin them instead of trusting the first login." }),
  ssh_host_key_fingerprints: z.array(z.string()).optional().meta({ description: 'SHA256 fingerprints of ssh_host_keys, as ssh-keygen -l prints them.' }),
})
export type VmAccessInfo = z.infer<typeof VmAccessInfo>

export const VmIdParams = z.strictObject({ id: z.string().min(1).max(200) })

/** The path of `DELETE /vms/{id}/ports/{public_port}`. */
export const VmPortParams = z.strictObject({
  id: z.string().min(1).max(200),
  public_port: z.coerce.number().int('public_port must be a whole number').min(1).max(65_535),
})

/** The body of `POST /vms/{id}/ports`: more mappings for an existing VM. */
export const AddPortsRequest = z.strictObject({ ports: z.array(PortRequest).min(1, 'ports must list at least one mapping').max(MAX_PORT_REQUESTS) })
export type AddPortsRequest = z.infer<typeof AddPortsRequest>

export const ErrorIssue = z.object({ path: z.string(), message: z.string() })
export const ErrorBody = z
  .object({
    code: z.string().meta({ description: 'Stable error code, e.g. VM_NOT_FOUND.' }),
    message: z.string().meta({ description: 'What went wrong and what to do about it.' }),
    detail: z.string().meta({ description: 'Same as message; the key the original provider used.' }),
    issues: z.array(ErrorIssue).optional(),
  })
  .meta({ id: 'ErrorBody' })
export type ErrorBody = z.infer<typeof ErrorBody>

export const ResourceFigures = z.object({ cpu: z.number(), memory: z.number(), storage: z.number() })
export type ResourceFigures = z.infer<typeof ResourceFigures>

export const ProviderStatus = z.object({
  version: z.string(),
  provider_id: z.string().nullable(),
  backend: z.object({ name: z.string(), version: z.string(), detail: z.string() }),
  capacity: z.object({
    source: z.enum(['host', 'offer']),
    total: ResourceFigures,
    allocated: ResourceFigures,
    free: ResourceFigures,
    overcommitted_cpu: z.boolean(),
  }),
  vms: z.object({
    count: z.number().int().meta({ description: 'VMs held, the unknown instances included.' }),
    max: z.number().int(),
    can_create: z.number().int(),
    unknown: z
      .array(z.object({ instance: z.string(), cpu: z.number(), memory: z.number(), storage: z.number() }))
      .optional()
      .meta({
        description:
          "Backend instances of the provider's naming that no record names (found at start); they count as allocated until the operator deletes them (absent from providers before this field).",
      }),
  }),
  pricing: OfferPricing.nullable().optional().meta({ description: 'The prices renters pay (null: the provider is free).' }),
  ports: z.object({
    range: z.object({ start: z.number().int(), end: z.number().int() }),
    verification: PortVerificationMode,
    checking: z.boolean().meta({ description: 'True while a re-verification runs; its ports are not offered meanwhile.' }),
    usable: z.number().int(),
    free: z.array(z.number().int()),
    report: PortVerificationReport.nullable().meta({ description: 'The latest port verification; null before the first one finished.' }),
    mapped: z
      .object({
        per_vm: z.number().int().meta({ description: 'Most ports besides SSH one VM may map (0: mappings are not offered).' }),
        available: z.number().int().meta({ description: "Ports one new VM could map now (the advertisement's ports_per_vm)." }),
        udp: z.boolean().meta({ description: 'Whether UDP ports are mapped too.' }),
      })
      .optional()
      .meta({ description: 'What renters can map besides SSH (absent from providers before this field).' }),
  }),
  vm_network: z
    .object({
      isolated: z.boolean().meta({ description: 'True when VMs reach the internet only: not this host, its networks, the metadata service or each other.' }),
      detail: z.string().meta({ description: 'The bridge, subnet and firewall table; or why VMs are not isolated.' }),
    })
    .optional()
    .meta({ description: "Whether renters' VMs are walled off from the host (absent from providers before this field)." }),
})
export type ProviderStatus = z.infer<typeof ProviderStatus>
