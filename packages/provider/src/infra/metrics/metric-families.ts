/**
 * Every metric the provider exports, by name, type, help and labels, in one
 * registry of its own (never prom-client's global one). Label values are
 * bounded: closed sets (operations, phases, commands, statuses, results),
 * catalogued error codes, route patterns (never raw URLs) and VM ids, which
 * the operator already sees and MAX_VMS bounds.
 *
 * Units follow Prometheus' conventions: seconds, bytes (a VM's "GB" is a
 * GiB, as QEMU and Multipass read it), `_total` only on counters.
 *
 * @module
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

/** Buckets for VM operations and their phases: tens of milliseconds to the 10-minute create deadline. */
const OPERATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600]
/** Buckets for backend calls: a millisecond (an `inspect` over QMP) to a 10-minute launch. */
const BACKEND_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600]
/** Buckets for API requests: sub-millisecond reads to a create that waits for the VM. */
const HTTP_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 600]

const P = 'golem_provider_'

/** Creates the provider's metric families in `registry`; gauges read at scrape time get their `collect` later. */
export function createFamilies(registry: Registry) {
  const registers = [registry]
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) => new Counter<L>({ name: P + name, help, labelNames, registers })
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) => new Gauge<L>({ name: P + name, help, labelNames, registers })
  const histogram = <L extends string>(name: string, help: string, labelNames: readonly L[], buckets: number[]) =>
    new Histogram<L>({ name: P + name, help, labelNames, buckets, registers })
  return {
    info: gauge('info', 'Always 1; the labels say which provider version runs with which backend.', ['version', 'backend']),

    vms: gauge('vms', 'VMs by status, from the capacity ledger.', ['status']),
    vmsMax: gauge('vms_max', 'Most VMs at once (GOLEM_PROVIDER_MAX_VMS).', []),
    vmsCanCreate: gauge('vms_can_create', 'How many more VMs of the minimum size fit now.', []),
    cpu: gauge('cpu_cores', 'vCPUs: offered to renters (total), allocated to VMs, and free.', ['state']),
    memory: gauge('memory_bytes', 'VM memory: offered to renters (total), allocated to VMs, and free.', ['state']),
    storage: gauge('storage_bytes', 'VM disk: offered to renters (total), allocated to VMs, and free.', ['state']),
    sshPorts: gauge('ssh_ports', 'SSH ports: usable (verified, or locally free when verification is skipped) and free (usable and not held by a VM).', [
      'state',
    ]),

    operations: counter('vm_operations_total', 'Finished VM operations by result and error code ("none" when it succeeded).', ['operation', 'result', 'code']),
    operationsInProgress: gauge('vm_operations_in_progress', 'VM operations running now.', ['operation']),
    operationSeconds: histogram(
      'vm_operation_duration_seconds',
      'Duration of VM operations (phase "total") and of their phases.',
      ['operation', 'phase'],
      OPERATION_BUCKETS,
    ),

    backendSeconds: histogram(
      'backend_command_duration_seconds',
      'Duration of backend driver calls, failed ones included.',
      ['backend', 'command'],
      BACKEND_BUCKETS,
    ),
    backendFailures: counter('backend_command_failures_total', 'Backend driver calls that failed, by error code.', ['backend', 'command', 'code']),

    connectionsOpen: gauge('forwarded_connections_open', 'Renter connections forwarded to a VM now (user-space proxy only).', ['vm']),
    connectionsAccepted: counter(
      'forwarded_connections_accepted_total',
      'Renter connections accepted for a VM (proxy: since the provider started; kernel: since the port was mapped).',
      ['vm'],
    ),
    connectionsRefused: counter(
      'forwarded_connections_refused_total',
      'Renter connections refused for a VM (stopped VM, connection cap) since the provider started.',
      ['vm'],
    ),
    forwardedBytes: counter('forwarded_bytes_total', 'Bytes forwarded for a VM: "in" from renters to the VM, "out" back to them.', ['vm', 'direction']),

    advertisements: counter('advertisements_total', 'Synchronisations with the discovery service: post or withdraw, ok, refused or unreachable.', [
      'kind',
      'result',
    ]),
    advertisementLastSuccess: gauge(
      'advertisement_last_success_timestamp_seconds',
      'When the discovery service last accepted a post or withdrawal (Unix time).',
      [],
    ),

    portVerifications: counter('port_verifications_total', 'Finished port verifications: ready or not_ready.', ['result']),
    portVerificationReady: gauge('port_verification_ready', '1 when the latest port verification found the provider ready.', []),
    portVerificationPorts: gauge('port_verification_ssh_ports', 'SSH ports in the latest port verification: reachable or unreachable.', ['result']),
    portVerificationApi: gauge(
      'port_verification_api_port_reachable',
      '1 when the API port was reached in the latest verification (external: from a port checker; internal: locally).',
      ['check'],
    ),
    portVerificationLast: gauge('port_verification_last_timestamp_seconds', 'When the latest port verification finished (Unix time).', []),

    httpRequests: counter('http_requests_total', 'API requests by method, route pattern and status.', ['method', 'route', 'status']),
    httpSeconds: histogram('http_request_duration_seconds', 'API request latency by method and route pattern.', ['method', 'route'], HTTP_BUCKETS),

    earnings: gauge('earnings', 'Payments per token, in token units: earned (vested), withdrawn, pending (vested, not yet withdrawn).', ['token', 'state']),
  }
}

export type MetricFamilies = ReturnType<typeof createFamilies>
