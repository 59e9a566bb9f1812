/**
 * Command-line options of `npm run local-network`.
 *
 * @module
 */
import { parseArgs } from 'node:util'

export interface Options {
  /** Exit 0 once the renter's ssh succeeded and everything is cleaned up (CI). */
  readonly exitAfterSsh: boolean
  /** The image to rent; undefined: debian-12-test with QEMU, 24.04 with Multipass. */
  readonly image: string | undefined
  /** Keep the throw-away dir for inspection. */
  readonly keep: boolean
  readonly backend: 'auto' | 'qemu' | 'multipass'
  /** The VM's name (and so its hostname). */
  readonly name: string
  readonly help: boolean
}

export const USAGE = `Usage: npm run local-network -- [options]
       node --import tsx scripts/local-network/main.ts [options]

Runs the whole VM on Golem network on this machine, on 127.0.0.1, in a
throw-away directory: the discovery service, a port-check server and a
provider (QEMU with the test guest, or Multipass when it is installed),
then rents a VM with the real golem-vm CLI and logs in to it with ssh.
Ctrl-C stops everything and removes everything it made (twice: at once).

Options:
  --exit-after-ssh     stop and clean up as soon as the renter's ssh worked;
                       exit 0, or non-zero with a message on any failure (CI)
  --image <image>      the image to rent: debian-12-test (default with QEMU:
                       Debian with the real cloud-init, ~40 s boot without KVM)
                       or tiny-test (busybox + dropbear, ~5 s boot); with
                       Multipass any image it knows (default 24.04)
  --name <name>        the VM's name and hostname (default demo)
  --backend <backend>  auto (default: QEMU for the test guests, else Multipass
                       when installed, else QEMU), qemu or multipass
  --keep               keep the throw-away directory (logs, state) and say where
  -h, --help           this text`

/** Parses argv; throws an Error with a message for people on a bad command line. */
export function parseOptions(argv: readonly string[]): Options {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      'exit-after-ssh': { type: 'boolean', default: false },
      image: { type: 'string' },
      keep: { type: 'boolean', default: false },
      backend: { type: 'string', default: 'auto' },
      name: { type: 'string', default: 'demo' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: true,
  })
  if (positionals.length > 0) throw new Error(`unexpected argument: ${positionals.join(' ')}`)
  const backend = values.backend
  if (backend !== 'auto' && backend !== 'qemu' && backend !== 'multipass') throw new Error(`--backend must be auto, qemu or multipass (got "${backend}")`)
  if (!/^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$/.test(values.name))
    throw new Error(`--name must be 3-64 of a-z, 0-9 and "-", not starting or ending with "-" (got "${values.name}")`)
  if (values.image !== undefined && !/^[A-Za-z0-9][A-Za-z0-9:._-]{0,63}$/.test(values.image))
    throw new Error(`--image: not an image name (got "${values.image}")`)
  return { exitAfterSsh: values['exit-after-ssh'], image: values.image, keep: values.keep, backend, name: values.name, help: values.help }
}
