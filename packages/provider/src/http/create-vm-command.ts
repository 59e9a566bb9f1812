/**
 * The create request, parsed once at the edge (as firecracker turns a
 * request into a typed action): the route's schema has checked the body's
 * shape; this resolves the resource forms and the SSH key into the
 * {@link CreateVmCommand} the use case takes, or refuses the request with
 * every problem at once. Nothing after this looks at the body.
 *
 * @module
 */
import { parseSshPublicKey, resolveResourceForms, type CreateVmRequest } from '@golem-vm/protocol'
import type { Caller, CreateVmCommand } from '../app/vm-service.js'
import { ProviderError } from '../domain/errors.js'
import { ownerScope } from '../domain/vm.js'

/** The command for a schema-valid body; throws VALIDATION_FAILED listing what the schema cannot express. */
export function toCreateVmCommand(body: CreateVmRequest, caller: Caller): CreateVmCommand {
  const { resources, problems } = resolveResourceForms(body)
  const key = parseSshPublicKey(body.ssh_key)
  if (!key.ok || problems.length > 0) {
    throw new ProviderError('VALIDATION_FAILED', [...problems, ...(key.ok ? [] : [`ssh_key is not accepted: ${key.reason}`])].join('; '))
  }
  return {
    name: body.name,
    resources,
    image: body.image,
    sshKey: key.key.canonical,
    owner: caller.kind === 'renter' ? caller.address : null,
    ports: (body.ports ?? []).map(({ guest, protocol }) => ({ guest, protocol })),
    scope: ownerScope(caller),
    byOperator: caller.kind === 'operator',
    streamId: body.stream_id,
  }
}
