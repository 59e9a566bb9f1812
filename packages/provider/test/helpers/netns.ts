/**
 * Network namespaces for tests: stand-ins for "the internet", "the LAN" and
 * VMs, joined to the host by veth pairs, with listeners and clients inside
 * them. Every name carries a per-run suffix, so two runs never collide, and
 * everything a lab made is removed when the test ends, failed or not.
 *
 * @module
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createInterface } from 'node:readline'
import type { TestContext } from 'node:test'
import type { ProbeResult } from './netns-peer.js'

const PEER = new URL('./netns-peer.js', import.meta.url).pathname

/** Why a test that needs root networking cannot run here, or false. */
export function netnsUnavailable(): string | false {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, bridges, nftables)'
  try {
    execFileSync('nft', ['--version'], { stdio: 'ignore' })
    execFileSync('ip', ['-V'], { stdio: 'ignore' })
  } catch {
    return 'needs nftables and iproute2 (apt install nftables iproute2)'
  }
  return false
}

export const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })

export class Lab {
  /** Short and unique per run: goes into every name (interface names have 15 characters). */
  readonly suffix = `${process.pid.toString(36).slice(-3)}${randomBytes(2).toString('hex').slice(0, 3)}`
  readonly #undo: (() => unknown)[] = []
  readonly #children: ChildProcess[] = []

  constructor(t: TestContext) {
    t.after(() => this.cleanup())
  }

  /** A namespace with loopback up. */
  namespace(role: string): string {
    const ns = `gt-${this.suffix}-${role}`
    ip('netns', 'add', ns)
    this.#undo.push(() => ip('netns', 'del', ns))
    ip('-n', ns, 'link', 'set', 'lo', 'up')
    return ns
  }

  /** A veth pair: `hostName` on the host, `eth0` in `ns`, both up (the host end may be configured further). */
  veth(hostName: string, ns: string): void {
    ip('link', 'add', hostName, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns)
    this.#undo.push(() => {
      try {
        ip('link', 'del', hostName)
      } catch {
        /* gone with its namespace or its owner */
      }
    })
    ip('link', 'set', hostName, 'up')
    ip('-n', ns, 'link', 'set', 'eth0', 'up')
  }

  /** `ip route replace` on the host, removed at the end if it is still this lab's. */
  route(destination: string, ...rest: string[]): void {
    ip('route', 'replace', destination, ...rest)
    this.#undo.push(() => {
      try {
        ip('route', 'del', destination, ...rest)
      } catch {
        /* replaced by another run */
      }
    })
  }

  /** Runs `fn` at cleanup (awaited), in reverse order of registration like everything else. */
  atCleanup(fn: () => unknown): void {
    this.#undo.push(fn)
  }

  /** A peer in `ns` sending `banner` to every connection on address:port; resolves once it listens. */
  async listen(ns: string, address: string, port: number, banner: string): Promise<void> {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, PEER, 'listen', address, String(port), banner], { stdio: ['ignore', 'pipe', 'inherit'] })
    this.#children.push(child)
    await firstLine(child, 10_000)
  }

  /**
   * Connects from `ns` to every target at once and resolves with each
   * outcome (the first bytes received, or why not). With `holdMs`, the
   * connections stay open that long; `closed` resolves when they are closed.
   */
  async connect(
    ns: string,
    targets: readonly { host: string; port: number }[],
    opts: { timeoutMs?: number; holdMs?: number } = {},
  ): Promise<{ results: ProbeResult[]; closed: Promise<void> }> {
    const list = targets.map((x) => ({ ...x, timeoutMs: opts.timeoutMs ?? 3000 }))
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, PEER, 'connect', JSON.stringify(list), String(opts.holdMs ?? 0)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    this.#children.push(child)
    const closed = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    const results = JSON.parse(await firstLine(child, (opts.timeoutMs ?? 3000) + 10_000)) as ProbeResult[]
    return { results, closed }
  }

  /** One connection from `ns`: the first line received, or undefined when it failed. */
  async reach(ns: string, host: string, port: number, timeoutMs = 3000): Promise<string | undefined> {
    const [result] = (await this.connect(ns, [{ host, port }], { timeoutMs })).results
    return result?.ok === true ? result.data : undefined
  }

  async cleanup(): Promise<void> {
    for (const child of this.#children) child.kill('SIGKILL')
    for (const undo of this.#undo.reverse()) {
      try {
        await undo()
      } catch {
        /* best effort: the rest must still go */
      }
    }
    this.#undo.length = 0
  }
}

function firstLine(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    if (child.stdout === null) {
      reject(new Error('no stdout'))
      return
    }
    const timer = setTimeout(() => reject(new Error('the peer in the namespace did not answer in time')), timeoutMs)
    const lines = createInterface({ input: child.stdout })
    lines.once('line', (line) => {
      clearTimeout(timer)
      resolve(line)
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`the peer in the namespace exited with ${code ?? 'a signal'}`))
    })
  })
}

/** The operator's world outside the VMs, built by {@link outsideWorld}: where each listener answers. */
export interface OutsideWorld {
  /** The internet listener's address (TEST-NET-2, routed through the host; answers "internet" on port 80). */
  readonly internet: string
  /** The host's address as the internet reaches it. */
  readonly hostFromInternet: string
  /** A host on the operator's LAN (192.168.x.2; answers "lan" on port 80). */
  readonly lan: string
  readonly ns: { readonly internet: string; readonly lan: string; readonly metadata: string }
}

/**
 * The world outside the VMs, as in an operator's network: the internet behind a
 * transit link, a LAN attached to the host, and a metadata service at
 * 169.254.169.254 reached through a route of the host, each in its own
 * namespace with a listener on port 80 that answers its name. The LAN and the
 * internet route back through the host, so only the host's rules can keep a VM out.
 */
export async function outsideWorld(lab: Lab): Promise<OutsideWorld> {
  const n = Number.parseInt(lab.suffix.slice(-2), 36) % 250
  const ns = { internet: lab.namespace('inet'), lan: lab.namespace('lan'), metadata: lab.namespace('meta') }
  const transit = `198.18.${n}.`
  lab.veth(`gi${lab.suffix}`, ns.internet)
  ip('addr', 'add', `${transit}1/30`, 'dev', `gi${lab.suffix}`)
  ip('-n', ns.internet, 'addr', 'add', `${transit}2/30`, 'dev', 'eth0')
  ip('-n', ns.internet, 'route', 'add', 'default', 'via', `${transit}1`)
  const internet = `198.51.100.${n + 1}`
  ip('-n', ns.internet, 'addr', 'add', `${internet}/32`, 'dev', 'lo')
  lab.route(`${internet}/32`, 'via', `${transit}2`)
  const lan = `192.168.${n}.`
  lab.veth(`gl${lab.suffix}`, ns.lan)
  ip('addr', 'add', `${lan}1/24`, 'dev', `gl${lab.suffix}`)
  ip('-n', ns.lan, 'addr', 'add', `${lan}2/24`, 'dev', 'eth0')
  ip('-n', ns.lan, 'route', 'add', 'default', 'via', `${lan}1`)
  lab.veth(`gm${lab.suffix}`, ns.metadata)
  ip('-n', ns.metadata, 'addr', 'add', '169.254.169.254/32', 'dev', 'eth0')
  ip('-n', ns.metadata, 'route', 'add', 'default', 'dev', 'eth0')
  lab.route('169.254.169.254/32', 'dev', `gm${lab.suffix}`)
  await lab.listen(ns.internet, internet, 80, 'internet')
  await lab.listen(ns.lan, '0.0.0.0', 80, 'lan')
  await lab.listen(ns.metadata, '169.254.169.254', 80, 'metadata')
  return { internet, hostFromInternet: `${transit}1`, lan: `${lan}2`, ns }
}
