/**
 * The systemd unit that runs the provider at boot. Pure: settings in, unit
 * text out (`golem-provider install-service --print` shows it).
 *
 * What it promises:
 * - Node runs the bin directly with the bin's own V8 flags (read from its
 *   `#!` line, so the two never differ), not through npm.
 * - `KillMode=process`: stopping or restarting the unit ends the daemon
 *   only. QEMU guests run in the unit's control group, and the default
 *   (kill the whole group) would power every renter's VM off.
 * - `Restart=on-failure`, but not after a configuration error (exit 2,
 *   which no retry can fix), and at most 5 starts in 5 minutes.
 * - Hardening that QEMU (`/dev/kvm`, `/dev/net/tun`), nftables, bridges
 *   and the sysctls VM networking needs keep working under. With Multipass
 *   (or `auto`) it is limited to options without a mount namespace or the
 *   no-new-privileges bit: the snap's `snap-confine` is set-uid, and
 *   changes mounts and control groups, so either would break every
 *   `multipass` call. Left out on purpose, for every backend:
 *   PrivateDevices, DevicePolicy, ProtectClock (device allow-lists: no
 *   `/dev/kvm`, no TAP), MemoryDenyWriteExecute (Node's JIT and QEMU's TCG
 *   write code), ProtectKernelTunables (`net.ipv4.ip_forward`),
 *   ProtectKernelModules (bridge, tun and nf_tables modules),
 *   RestrictNamespaces and RestrictAddressFamilies (network namespaces,
 *   netlink), CapabilityBoundingSet (nft and TAP need CAP_NET_ADMIN,
 *   Multipass more).
 *
 * @module
 */
import { pathToFileURL } from 'node:url'

export interface UnitSettings {
  /** Absolute path of the node executable. */
  readonly node: string
  /** V8 and Node flags from the bin's `#!` line. */
  readonly nodeFlags: readonly string[]
  /** Absolute path of `bin/golem-provider.js`. */
  readonly bin: string
  /** The environment file the provider reads (GOLEM_PROVIDER_ENV_FILE); need not exist. */
  readonly envFile: string
  /** Set in the unit when the environment file does not name it. */
  readonly dataDir: string | undefined
  /** Where the data dir is, for the write exception of the read-only home (QEMU hardening). */
  readonly dataDirPath: string
  readonly backend: 'auto' | 'multipass' | 'qemu'
  /** Seconds systemd waits after SIGTERM: the provider undoes creates in flight within its command timeout. */
  readonly stopTimeoutS: number
  /** The README, for `Documentation=` (a `file://` URL); left out when unknown. */
  readonly readme?: string | undefined
}

export const UNIT_NAME = 'golem-provider.service'

/** The node flags of a `#!` line such as `#!/usr/bin/env -S node --max-semi-space-size=1`; empty without any. */
export function nodeFlagsFromShebang(firstLine: string): string[] {
  if (!firstLine.startsWith('#!')) return []
  const words = firstLine.slice(2).trim().split(/\s+/)
  const node = words.findIndex((w) => w === 'node' || w.endsWith('/node'))
  return node === -1 ? [] : words.slice(node + 1)
}

/**
 * One word of a unit setting in systemd's syntax: `%` doubled (no specifier
 * expansion), quotes and backslashes escaped, quoted when it needs to be.
 * `command` words also double `$`, which ExecStart= would expand.
 */
export function systemdWord(value: string, context: 'command' | 'value' = 'value'): string {
  if (/[\n\r\0]/.test(value)) throw new Error(`a unit setting cannot contain a line break: ${JSON.stringify(value)}`)
  let escaped = value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%')
  if (context === 'command') escaped = escaped.replace(/\$/g, '$$$$')
  return /[\s"'\\;]/.test(value) || value === '' ? `"${escaped}"` : escaped
}

// Paths under these are hidden or read-only with ProtectHome; the data dir then needs its own write exception.
const HOME_PREFIXES = ['/home/', '/root/', '/run/user/']

function hardening(s: UnitSettings): string[] {
  const common = ['LockPersonality=yes', 'RestrictRealtime=yes', 'RestrictSUIDSGID=yes', 'SystemCallArchitectures=native', 'ProtectHostname=yes', 'UMask=0077']
  if (s.backend !== 'qemu') {
    return ['# Hardening that Multipass allows (its snap-confine is set-uid and changes mounts); GOLEM_PROVIDER_BACKEND=qemu gets more.', ...common]
  }
  const inHome = HOME_PREFIXES.some((p) => `${s.dataDirPath}/`.startsWith(p))
  return [
    '# Hardening that QEMU, TAP devices, bridges and nftables allow.',
    ...common,
    'NoNewPrivileges=yes',
    'ProtectSystem=full',
    'ProtectHome=read-only',
    // `-`: a missing data dir is not an error here (install-service creates it; the provider would too, elsewhere).
    ...(inHome ? [`ReadWritePaths=${systemdWord(`-${s.dataDirPath}`)}`] : []),
    'ProtectControlGroups=yes',
    'ProtectKernelLogs=yes',
    'PrivateTmp=yes',
  ]
}

/** The unit file's text. */
export function systemdUnit(s: UnitSettings): string {
  const exec = [s.node, ...s.nodeFlags, s.bin, 'start'].map((w) => systemdWord(w, 'command')).join(' ')
  const environment = [`GOLEM_PROVIDER_ENV_FILE=${s.envFile}`, ...(s.dataDir === undefined ? [] : [`GOLEM_PROVIDER_DATA_DIR=${s.dataDir}`])]
  const after = ['network-online.target', ...(s.backend === 'qemu' ? [] : ['snap.multipass.multipassd.service'])]
  return [
    '# Written by `golem-provider install-service`; `golem-provider uninstall-service` removes it.',
    '# Settings belong in the environment file below, then: systemctl restart golem-provider',
    '[Unit]',
    'Description=Golem VM provider (rents out virtual machines on the Golem Network)',
    ...(s.readme === undefined ? [] : [`Documentation=${systemdWord(pathToFileURL(s.readme).href)}`]),
    `After=${after.join(' ')}`,
    'Wants=network-online.target',
    'StartLimitIntervalSec=300',
    'StartLimitBurst=5',
    '',
    '[Service]',
    'Type=exec',
    'User=root',
    `ExecStart=${exec}`,
    ...environment.map((e) => `Environment=${systemdWord(e)}`),
    "# Stopping the unit ends the daemon only: renters' VMs keep running and are found again at the next start.",
    'KillMode=process',
    'KillSignal=SIGTERM',
    `TimeoutStopSec=${s.stopTimeoutS}`,
    'Restart=on-failure',
    'RestartSec=5',
    '# Exit 2: the configuration is wrong; a restart cannot fix it.',
    'RestartPreventExitStatus=2',
    'SyslogIdentifier=golem-provider',
    '# Every API connection and SSH forward takes descriptors; the default 1024 runs out under a flood.',
    'LimitNOFILE=65536',
    ...hardening(s),
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n')
}
