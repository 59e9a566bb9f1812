/**
 * The SSH range against the kernel's ephemeral ports. Linux picks the local
 * port of every outgoing connection from `net.ipv4.ip_local_port_range`
 * (32768–60999 by default), skipping `ip_local_reserved_ports`. The default
 * SSH range, 50800–50900, lies inside it: any outgoing connection on the host
 * (the proxy's own connections to VMs among them) can hold a renter's port
 * when the provider needs to bind it, and after a restart a VM's port may be
 * taken. Reserving the range prevents that; this finds what is not reserved.
 *
 * @module
 */

export interface PortRange {
  readonly start: number
  readonly end: number
}

/** `ip_local_port_range`: two numbers separated by white space. */
export function parseLocalPortRange(text: string): PortRange | undefined {
  const match = /^\s*(\d+)\s+(\d+)\s*$/.exec(text)
  if (match === null) return undefined
  const [start, end] = [Number(match[1]), Number(match[2])]
  return start <= end ? { start, end } : undefined
}

/** `ip_local_reserved_ports`: a comma-separated list of ports and ranges ("50800-50900,60000"), or empty. */
export function parseReservedPorts(text: string): PortRange[] {
  const ranges: PortRange[] = []
  for (const part of text.trim().split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part.trim())
    if (match === null) continue
    const start = Number(match[1])
    ranges.push({ start, end: match[2] === undefined ? start : Number(match[2]) })
  }
  return ranges
}

/** The ports of `range` the kernel may hand to outgoing connections: inside `ephemeral`, not reserved. */
export function unreservedEphemeralPorts(range: PortRange, ephemeral: PortRange, reserved: readonly PortRange[]): PortRange[] {
  const exposed: PortRange[] = []
  let run: { start: number; end: number } | undefined
  for (let port = Math.max(range.start, ephemeral.start); port <= Math.min(range.end, ephemeral.end); port++) {
    if (reserved.some((r) => port >= r.start && port <= r.end)) {
      run = undefined
      continue
    }
    if (run === undefined || run.end !== port - 1) exposed.push((run = { start: port, end: port }))
    else run.end = port
  }
  return exposed
}

const show = (ranges: readonly PortRange[]) => ranges.map((r) => (r.start === r.end ? `${r.start}` : `${r.start}-${r.end}`)).join(',')

/** The operator's warning, or undefined when no SSH port can be taken by an outgoing connection. */
export function ephemeralOverlapWarning(range: PortRange, ephemeral: PortRange, reserved: readonly PortRange[]): string | undefined {
  const exposed = unreservedEphemeralPorts(range, ephemeral, reserved)
  if (exposed.length === 0) return undefined
  const count = exposed.reduce((n, r) => n + r.end - r.start + 1, 0)
  const wanted = show([...reserved, ...exposed])
  return (
    `${count} SSH port(s) of ${range.start}-${range.end} (${show(exposed)}) lie in the kernel's ephemeral range ${ephemeral.start}-${ephemeral.end}: ` +
    "any outgoing connection on this host may take one, and a renter's VM then cannot get (or, after a restart, keep) its port. " +
    `Reserve them: sysctl -w net.ipv4.ip_local_reserved_ports=${wanted} (and persist it in /etc/sysctl.d/), or move GOLEM_PROVIDER_PORT_RANGE_START/END below ${ephemeral.start}`
  )
}
