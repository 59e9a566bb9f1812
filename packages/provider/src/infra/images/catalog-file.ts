/**
 * The operator's image catalogue file (`GOLEM_PROVIDER_IMAGE_CATALOG`): extra
 * images, such as local test guests or mirrors for offline hosts.
 *
 * ```json
 * {"images": [{"name": "debian-12-test", "format": "qcow2", "path": "/abs/disk.qcow2",
 *              "sha256": "…", "kernel": "/abs/vmlinuz", "initrd": "/abs/initrd.img",
 *              "append": "root=/dev/vda rw console=ttyS0", "default_user": "ubuntu",
 *              "min_memory_mb": 512}]}
 * ```
 *
 * @module
 */
import { dirname, isAbsolute, resolve } from 'node:path'
import { z } from 'zod'
import type { ImageEntry } from '../../domain/images.js'

const Entry = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9:._-]*$/),
    aliases: z.array(z.string()).default([]),
    description: z.string().optional(),
    default_user: z
      .string()
      .regex(/^[a-z_][a-z0-9_-]*$/)
      .default('ubuntu'),
    multipass: z.string().optional(),
    format: z.enum(['qcow2', 'raw']).default('qcow2'),
    url: z.url({ protocol: /^https?$/ }).optional(),
    mirrors: z.array(z.url({ protocol: /^https?$/ })).optional(),
    path: z.string().optional(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits'),
    kernel: z.string().optional(),
    initrd: z.string().optional(),
    append: z.string().optional(),
    min_memory_mb: z.number().int().positive().optional(),
  })
  .refine((e) => e.url !== undefined || e.path !== undefined, 'needs a url or a path')

const CatalogFile = z.strictObject({ images: z.array(Entry) })

/** Parses a catalogue file; relative paths are relative to the file. */
export function parseImageCatalog(text: string, filePath: string): { ok: true; images: ImageEntry[] } | { ok: false; problems: string[] } {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    return { ok: false, problems: [`${filePath} is not JSON: ${(error as Error).message}`] }
  }
  const parsed = CatalogFile.safeParse(json)
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) }
  const base = dirname(filePath)
  const abs = (p: string | undefined) => (p === undefined || isAbsolute(p) ? p : resolve(base, p))
  return {
    ok: true,
    images: parsed.data.images.map((e) => ({
      name: e.name,
      aliases: e.aliases,
      description: e.description ?? e.name,
      defaultUser: e.default_user,
      multipass: e.multipass,
      qemu: {
        url: e.url,
        mirrors: e.mirrors,
        path: abs(e.path),
        sha256: e.sha256,
        format: e.format,
        kernel: abs(e.kernel),
        initrd: abs(e.initrd),
        append: e.append,
        minMemoryMb: e.min_memory_mb,
      },
    })),
  }
}
