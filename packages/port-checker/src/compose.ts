/**
 * The one place that wires the concrete edges (real TCP, real DNS) into the server.
 *
 * @module
 */
import { lookup } from 'node:dns/promises'
import type { FastifyBaseLogger } from 'fastify'
import type { Config } from './config.js'
import { buildServer, type PortCheckServer } from './server.js'
import type { Lookup } from './target.js'
import { tcpConnect } from './tcp-connect.js'

/** Every address of a hostname, as the system resolver gives them. Only called when hostnames are allowed. */
export const systemLookup: Lookup = async (hostname) => (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address)

/** The production server: {@link buildServer} with real TCP connects and the system resolver. */
export const composeServer = (config: Config, logger: FastifyBaseLogger): PortCheckServer =>
  buildServer({ config, logger, connect: tcpConnect, lookup: systemLookup })
