/**
 * OpenAPI for the port checker, generated from the route schemas.
 *
 * @module
 */
import type { SwaggerTransformObject } from '@fastify/swagger'
import { jsonSchemaTransformObject } from 'fastify-type-provider-zod'

const REF_PREFIX = '#/components/schemas/'

// Every component name a JSON value refers to through "$ref".
function refsIn(value: unknown, found: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) refsIn(item, found)
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, inner] of Object.entries(value)) {
      if (key === '$ref' && typeof inner === 'string' && inner.startsWith(REF_PREFIX)) found.add(inner.slice(REF_PREFIX.length))
      else refsIn(inner, found)
    }
  }
}

// Component names reachable from `roots`; the walk adds each name once, so it ends.
function reachable(roots: unknown, components: Readonly<Record<string, unknown>>): Set<string> {
  const seen = new Set<string>()
  refsIn(roots, seen)
  const queue = [...seen]
  for (let name = queue.pop(); name !== undefined; name = queue.pop()) {
    const more = new Set<string>()
    refsIn(components[name], more)
    for (const m of more) {
      if (!seen.has(m)) {
        seen.add(m)
        queue.push(m)
      }
    }
  }
  return seen
}

/**
 * The document transform: components from the zod schemas' ids, keeping only
 * those the port checker's routes use (the shared zod registry also holds the
 * provider's and discovery's schemas).
 */
export const transformObject: SwaggerTransformObject = (input) => {
  const document = jsonSchemaTransformObject(input) as { paths?: unknown; components?: { schemas?: Record<string, unknown> } }
  const schemas = document.components?.schemas ?? {}
  const used = reachable(document.paths, schemas)
  const kept = Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name)))
  return { ...document, components: { ...document.components, schemas: kept } } as ReturnType<SwaggerTransformObject>
}
