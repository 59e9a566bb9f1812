/**
 * The image catalogue: the only images a renter can ask for. A request names
 * an entry (or one of its aliases); anything else is refused, never passed to
 * a backend. Each entry says how each backend gets the image.
 *
 * @module
 */
import { ProviderError } from './errors.js'

/** A disk image the QEMU driver boots, from a URL or a local path, verified by SHA-256. */
export interface QemuImageSource {
  readonly url?: string | undefined
  /** Other places serving the same bytes (tried in order when `url` fails; the checksum decides). */
  readonly mirrors?: readonly string[] | undefined
  readonly path?: string | undefined
  readonly sha256: string
  readonly format: 'qcow2' | 'raw'
  /** Direct kernel boot, for images without a bootloader (the test guests). */
  readonly kernel?: string | undefined
  readonly initrd?: string | undefined
  readonly append?: string | undefined
  readonly minMemoryMb?: number | undefined
}

export interface ImageEntry {
  readonly name: string
  readonly aliases: readonly string[]
  readonly description: string
  /** The user the renter logs in as (root works too, with the same key). */
  readonly defaultUser: string
  /** The image argument of `multipass launch`, when Multipass can run it. */
  readonly multipass?: string | undefined
  readonly qemu?: QemuImageSource | undefined
}

export type BackendName = 'multipass' | 'qemu' | 'fake'

// Official Ubuntu cloud images of one dated release, pinned by SHA-256 (from that
// release's SHA256SUMS). Dated releases move from cloud-images.ubuntu.com to
// cloud-images-archive.ubuntu.com after some months, so both are listed; the
// checksum, not the server, decides. Operators replace an entry (same name) in
// their GOLEM_PROVIDER_IMAGE_CATALOG file to use a newer release or a mirror.
const ubuntuCloudImage = (version: string, codename: string, release: string, sha256: string): QemuImageSource => {
  const path = `releases/${codename}/release-${release}/ubuntu-${version}-server-cloudimg-amd64.img`
  return { url: `https://cloud-images.ubuntu.com/${path}`, mirrors: [`https://cloud-images-archive.ubuntu.com/${path}`], sha256, format: 'qcow2' }
}

/** Ubuntu LTS releases, the images renters expect, for Multipass and for QEMU. */
export const BUILTIN_IMAGES: readonly ImageEntry[] = [
  {
    name: '24.04',
    aliases: ['ubuntu:24.04', 'noble', 'lts', 'ubuntu-24.04'],
    description: 'Ubuntu 24.04 LTS',
    defaultUser: 'ubuntu',
    multipass: '24.04',
    qemu: ubuntuCloudImage('24.04', 'noble', '20260826', 'd0fe84bb5f80853425fa6be28e2c106f30104c3cfe8611933f2e65c9b63f0e30'),
  },
  {
    name: '22.04',
    aliases: ['ubuntu:22.04', 'jammy', 'ubuntu-22.04'],
    description: 'Ubuntu 22.04 LTS',
    defaultUser: 'ubuntu',
    multipass: '22.04',
    qemu: ubuntuCloudImage('22.04', 'jammy', '20260807', 'ff271290a23279ce764561dbe2e9c3ec29da899535b571a987c37b47970c2ad9'),
  },
]

const runsOn = (entry: ImageEntry, backend: BackendName) =>
  backend === 'fake' || (backend === 'multipass' ? entry.multipass !== undefined : entry.qemu !== undefined)

/** Looks images up by name or alias; later entries with the same name replace earlier ones. */
export class ImageCatalog {
  readonly #byName = new Map<string, ImageEntry>()

  constructor(entries: readonly ImageEntry[]) {
    for (const entry of entries) {
      for (const key of [entry.name, ...entry.aliases]) this.#byName.set(key, entry)
    }
  }

  /** The entries a backend can run, one per image. */
  available(backend: BackendName): ImageEntry[] {
    return [...new Set(this.#byName.values())].filter((e) => runsOn(e, backend))
  }

  /** True when `name` (or an alias) is an image `backend` can run. */
  has(name: string, backend: BackendName): boolean {
    const entry = this.#byName.get(name)
    return entry !== undefined && runsOn(entry, backend)
  }

  /** The entry for `name`, or IMAGE_NOT_AVAILABLE naming what this provider does offer. */
  resolve(name: string, backend: BackendName): ImageEntry {
    const entry = this.#byName.get(name)
    if (entry !== undefined && this.has(name, backend)) return entry
    const offered =
      this.available(backend)
        .map((e) => e.name)
        .join(', ') || 'none'
    throw new ProviderError('IMAGE_NOT_AVAILABLE', `image "${name}" is not offered by this provider; choose one of: ${offered}`)
  }
}
