/**
 * The provider's port verification report: which of its ports renters can
 * reach, how that was established, and what the operator should fix. The
 * provider's status endpoint and `golem-provider status --json` show it; the
 * start-up display renders it.
 *
 * @module
 */
import { z } from 'zod'

/** Where the README explains every problem the report can name. */
export const PORT_TROUBLESHOOTING_ANCHOR = 'README.md#troubleshooting-port-verification'

/**
 * How the ports were judged: `verified` (port-check servers connected from
 * outside), `skipped` (`GOLEM_PROVIDER_SKIP_PORT_VERIFICATION=true`: every
 * locally free port counts as usable) or `development` (the development
 * environment: same as skipped).
 */
export const PortVerificationMode = z.enum(['verified', 'skipped', 'development'])
export type PortVerificationMode = z.infer<typeof PortVerificationMode>

const Port = z.number().int().min(1).max(65_535)

/** One port's verdicts: bound (or held) on this host, and reached from outside. */
export const PortProbe = z.object({
  port: Port,
  internal: z.boolean().meta({ description: 'True when this provider holds the port (bound for the check, or its own listener).' }),
  external: z.boolean().nullable().meta({ description: 'True when a port-check server connected to it; null when not checked.' }),
  error: z.string().nullable().meta({ description: 'Why the port is not usable; null when it is.' }),
})
export type PortProbe = z.infer<typeof PortProbe>

/** A port that is not offered to renters, and why. */
export const ClosedPort = z.object({ port: Port, reason: z.string() })
export type ClosedPort = z.infer<typeof ClosedPort>

/** How one port-check server answered. */
export const PortCheckServerOutcome = z.object({
  url: z.string(),
  ok: z.boolean().meta({ description: 'True when the server answered with a valid result for every batch of ports.' }),
  error: z.string().nullable(),
})
export type PortCheckServerOutcome = z.infer<typeof PortCheckServerOutcome>

/** The API port's verdicts; port 0 means it was chosen by the system when listening and was not checked. */
export const ApiPortProbe = PortProbe.extend({ port: z.number().int().min(0).max(65_535) })
export type ApiPortProbe = z.infer<typeof ApiPortProbe>

export const SshPortsReport = z.object({
  range: z.object({ start: Port, end: Port }),
  ports: z.array(PortProbe).meta({ description: 'Every port of the range, in order.' }),
  usable: z.array(Port).meta({ description: 'Ports that may be handed to VMs, in order.' }),
  closed: z.array(ClosedPort).meta({ description: 'Ports of the range that are not offered, each with its reason.' }),
})
export type SshPortsReport = z.infer<typeof SshPortsReport>

export const PortVerificationReport = z
  .object({
    mode: PortVerificationMode,
    checked_at: z.string().meta({ description: 'ISO 8601 UTC time the verification finished.' }),
    public_ip: z.string().nullable().meta({ description: 'The address the servers were asked to check; null when not checked.' }),
    ready: z.boolean().meta({ description: 'False when the provider cannot serve renters (see problems).' }),
    api_port: ApiPortProbe,
    ssh_ports: SshPortsReport,
    servers: z.array(PortCheckServerOutcome),
    problems: z.array(z.string()).meta({ description: 'Critical issues: each one alone makes the provider unusable.' }),
    warnings: z.array(z.string()).meta({ description: 'Issues that reduce what the provider offers, or that the operator should know.' }),
    fixes: z.array(z.string()).meta({ description: 'Suggested fixes, most likely first.' }),
  })
  .meta({ id: 'PortVerificationReport' })
export type PortVerificationReport = z.infer<typeof PortVerificationReport>
