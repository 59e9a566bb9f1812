/**
 * The live state of the local network, polled about once a second: the
 * discovery service (up, its advertisements, ours among them), the port
 * checker (up), and the provider (up, backend, verified ports, VMs from
 * `GET /api/v1/provider/status` and, with the operator's admin token, every
 * VM with its status and SSH port). Rendered as the terminal's status block,
 * or as plain lines whenever a component's summary changes.
 *
 * @module
 */
import type { Advertisement, ProviderStatus, VmInfo } from '@golem-vm/protocol'
import type { Styles } from './ui.js'

/** Where a component is in its life, as this script drives it. */
export type Phase = 'waiting' | 'starting' | 'up' | 'stopping' | 'stopped' | 'failed'

interface Component {
  phase: Phase
  url?: string
  pid?: number
  /** Health as last polled: true answered, false did not. */
  healthy?: boolean
}

/** What the poller last saw. */
export interface NetworkState {
  readonly discovery: Component & { ads?: number; ours?: Advertisement | undefined }
  readonly checker: Component
  readonly provider: Component & { id?: string; status?: ProviderStatus; vms?: VmInfo[]; adminToken?: string }
}

const POLL_TIMEOUT_MS = 2000

async function getJson(url: string, headers: Record<string, string> = {}): Promise<unknown> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(POLL_TIMEOUT_MS) })
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`)
  return res.json()
}

const ok = async (url: string): Promise<boolean> => {
  try {
    await getJson(url)
    return true
  } catch {
    return false
  }
}

/** Polls the components every second while started; one poll at a time. */
export class Poller {
  readonly state: NetworkState = { discovery: { phase: 'waiting' }, checker: { phase: 'waiting' }, provider: { phase: 'waiting' } }
  #timer: NodeJS.Timeout | undefined
  #busy = false

  start(onPolled: () => void): void {
    const tick = (): void => {
      if (this.#busy) return
      this.#busy = true
      this.poll()
        .then(onPolled, () => undefined)
        .finally(() => {
          this.#busy = false
        })
    }
    this.#timer = setInterval(tick, 1000)
    this.#timer.unref()
    tick()
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
  }

  async poll(): Promise<void> {
    const { discovery, checker, provider } = this.state
    await Promise.all([
      (async () => {
        if (discovery.url === undefined || discovery.phase !== 'up') return
        try {
          const ads = (await getJson(`${discovery.url}/api/v1/advertisements`)) as Advertisement[]
          discovery.healthy = true
          discovery.ads = ads.length
          discovery.ours = provider.id === undefined ? undefined : ads.find((a) => a.provider_id.toLowerCase() === provider.id?.toLowerCase())
        } catch {
          discovery.healthy = false
        }
      })(),
      (async () => {
        if (checker.url === undefined || checker.phase !== 'up') return
        checker.healthy = await ok(`${checker.url}/health`)
      })(),
      (async () => {
        if (provider.url === undefined || provider.phase !== 'up') return
        try {
          provider.status = (await getJson(`${provider.url}/api/v1/provider/status`)) as ProviderStatus
          provider.healthy = true
          if (provider.adminToken !== undefined) {
            provider.vms = (await getJson(`${provider.url}/api/v1/vms`, { authorization: `Bearer ${provider.adminToken}` })) as VmInfo[]
          }
        } catch {
          provider.healthy = false
        }
      })(),
    ])
  }
}

const short = (id: string): string => (id.length > 14 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id)

const accelerator = (detail: string): string | undefined => /accelerator (\w+)/.exec(detail)?.[1]

/** "4 CPU · 4 GB · 40 GB". */
export const figures = (r: { readonly cpu?: number | undefined; readonly memory?: number | undefined; readonly storage?: number | undefined }): string =>
  `${r.cpu ?? 0} CPU · ${r.memory ?? 0} GB · ${r.storage ?? 0} GB`

/** What each component is, as plain text without volatile details; one entry per component and VM. */
export function summaries(state: NetworkState): Map<string, string> {
  const out = new Map<string, string>()
  const { discovery, checker, provider } = state
  const phaseText = (c: Component): string => (c.phase === 'up' && c.healthy === false ? 'not answering' : c.phase)
  out.set(
    'discovery',
    `${phaseText(discovery)}${discovery.phase === 'up' && discovery.ads !== undefined ? `, ${discovery.ads} advertisement(s)${discovery.ours === undefined ? '' : `, ours offers ${figures(discovery.ours.resources)}`}` : ''}`,
  )
  out.set('port checker', phaseText(checker))
  let p = phaseText(provider)
  const s = provider.status
  if (provider.phase === 'up' && s !== undefined) {
    const accel = accelerator(s.backend.detail)
    p += `, backend ${s.backend.name}${accel === undefined ? '' : ` (${accel})`}`
    p += `, ports ${portsText(s)}`
    p += `, ${s.vms.count} VM(s)`
    p += discovery.ours === undefined ? ', not advertised yet' : ', advertising'
  }
  out.set('provider', p)
  for (const vm of provider.vms ?? []) out.set(`VM ${vm.name}`, `${vm.status}, SSH port ${vm.ssh_port ?? '-'}, ${figures(vm.resources)}, image ${vm.image}`)
  return out
}

function portsText(s: ProviderStatus): string {
  const r = s.ports.report
  const mode = s.ports.verification
  if (r === null) return `${mode}: checking`
  const api = r.api_port.external === true ? 'API ✓' : r.api_port.external === false ? 'API ✗' : 'API ?'
  return `${mode} (${api}, SSH ${r.ssh_ports.usable.length}/${r.ssh_ports.ports.length} reachable, ${s.ports.free.length} free)`
}

/** The terminal's status block. */
export function renderBlock(state: NetworkState, st: Styles, header: string): string[] {
  const { discovery, checker, provider } = state
  const dot = (c: Component): string => {
    if (c.phase === 'up') return c.healthy === false ? st.red('●') : st.green('●')
    if (c.phase === 'failed') return st.red('●')
    if (c.phase === 'starting' || c.phase === 'stopping') return st.yellow('●')
    return st.dim('○')
  }
  const label = (text: string): string => `  ${text.padEnd(13)}`
  const phase = (c: Component): string => (c.phase === 'up' && c.healthy === false ? st.red('not answering') : c.phase === 'up' ? 'up' : c.phase)
  const where = (c: Component): string => (c.url === undefined ? '' : ` ${st.dim(c.url)}`)
  const lines = [st.bold(header)]
  const ads = discovery.ads === undefined ? '' : ` · ${discovery.ads} advertisement${discovery.ads === 1 ? '' : 's'}`
  lines.push(`${label('discovery')}${dot(discovery)} ${phase(discovery)}${where(discovery)}${discovery.phase === 'up' ? ads : ''}`)
  lines.push(`${label('port checker')}${dot(checker)} ${phase(checker)}${where(checker)}`)
  let p = `${label('provider')}${dot(provider)} ${phase(provider)}${where(provider)}`
  const s = provider.status
  if (provider.phase === 'up' && s !== undefined) {
    const accel = accelerator(s.backend.detail)
    p += ` · ${s.backend.name}${accel === undefined ? '' : ` (${accel})`}${provider.id === undefined ? '' : ` · ${short(provider.id)}`}`
    lines.push(p)
    const ours = discovery.ours
    const advertising = ours === undefined ? st.yellow('not advertised yet') : `${st.green('advertising')} ${figures(ours.resources)} free`
    lines.push(`${label('')}  ${advertising} · ports ${portsText(s)}`)
  } else {
    lines.push(p)
  }
  const vms = provider.vms ?? []
  if (vms.length === 0 && provider.phase === 'up') lines.push(`${label('VMs')}${st.dim('none')}`)
  vms.forEach((vm, i) => {
    const status = vm.status === 'running' ? st.green(vm.status) : vm.status === 'error' ? st.red(vm.status) : st.yellow(vm.status)
    lines.push(`${label(i === 0 ? 'VMs' : '')}${vm.name}  ${status}  ssh 127.0.0.1:${vm.ssh_port ?? '-'}  ${st.dim(`${figures(vm.resources)} · ${vm.image}`)}`)
  })
  return lines
}
