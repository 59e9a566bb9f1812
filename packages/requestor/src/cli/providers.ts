/**
 * `golem-vm providers`: the fresh advertisements of the discovery service
 * that match the filters, verified ones only unless asked otherwise.
 *
 * @module
 */
import { formatTokenAmount, hourlyCost, isCountryCode, pricesOf } from '@golem-vm/protocol'
import { tokenText } from '../domain/payment.js'
import { RequestorError } from '../domain/errors.js'
import { selectOffers, type OfferSelection, type ProviderOffer } from '../domain/offers.js'
import type { CommandContext, JsonOption } from './context.js'
import { note, printJson, say, table } from './output.js'

/** Options of `golem-vm providers`, as typed. */
export interface ProvidersOptions extends JsonOption {
  readonly cpu?: string | undefined
  readonly memory?: string | undefined
  readonly storage?: string | undefined
  readonly country?: string | undefined
  readonly includeUnverified?: boolean | undefined
  readonly isolated?: boolean | undefined
}

type Filter = { cpu?: number; memory?: number; storage?: number; country?: string; isolated?: true }

function filterFrom(opts: ProvidersOptions): Filter {
  const problems: string[] = []
  const filter: Filter = opts.isolated === true ? { isolated: true } : {}
  for (const key of ['cpu', 'memory', 'storage'] as const) {
    const text = opts[key]
    if (text === undefined) continue
    if (/^\d{1,6}$/.test(text) && Number(text) >= 1) filter[key] = Number(text)
    else problems.push(`--${key} must be a whole number of at least 1 (got "${text}")`)
  }
  if (opts.country !== undefined) {
    if (isCountryCode(opts.country)) filter.country = opts.country.toUpperCase()
    else problems.push(`--country must be a two-letter country code such as SE or DE (got "${opts.country}")`)
  }
  if (problems.length > 0) throw new RequestorError('INVALID_ARGUMENT', problems.join('; '))
  return filter
}

/** The size whose price per hour the listing shows: the filters given, else the small size. */
type PricedSize = { cpu: number; memory: number; storage: number }

// "0.36 tGLM" for the asked size per hour, "free", and the three unit prices.
const priceCells = (o: ProviderOffer, size: PricedSize): [string, string] => {
  const p = o.pricing
  if (p === null) return ['free', '-']
  const unit = (v: string) => formatTokenAmount(BigInt(v), p.token_decimals)
  return [tokenText(hourlyCost(pricesOf(p), size), p), `${unit(p.per_cpu_hour)}/CPU ${unit(p.per_gb_memory_hour)}/GB ${unit(p.per_gb_storage_hour)}/GB disk`]
}

const row = (o: ProviderOffer, size: PricedSize): string[] => [
  o.provider_id,
  o.provider_name ?? '-',
  o.country,
  String(o.resources.cpu ?? 0),
  `${o.resources.memory ?? 0} GB`,
  `${o.resources.storage ?? 0} GB`,
  portsCell(o),
  o.isolated === null ? '-' : o.isolated ? 'yes' : 'NO',
  ...priceCells(o, size),
  o.provider_url.replace(/^http:\/\//, ''),
  o.verified ? 'yes' : 'NO',
  o.updated_at,
]

// How many ports one VM can map there, and whether UDP is among them: "8 tcp/udp", "3 tcp", "-" (not advertised).
const portsCell = (o: ProviderOffer): string => {
  const perVm = o.resources.ports_per_vm
  return perVm === undefined ? '-' : `${perVm} ${o.resources.udp === 1 ? 'tcp/udp' : 'tcp'}`
}

function printHuman(ctx: CommandContext, selection: OfferSelection & { truncated: boolean }, size: PricedSize): void {
  const { offers } = selection
  if (offers.length === 0) say(ctx.io, 'No provider matches.')
  else {
    const headers = [
      'PROVIDER ID',
      'NAME',
      'COUNTRY',
      'CPU',
      'MEMORY',
      'STORAGE',
      'PORTS',
      'ISOLATED',
      'PRICE/HOUR',
      'UNIT PRICES/HOUR',
      'API',
      'VERIFIED',
      'UPDATED',
    ]
    say(
      ctx.io,
      table(
        headers,
        offers.map((o) => row(o, size)),
      ),
    )
    say(ctx.io)
    say(
      ctx.io,
      `${offers.length} provider(s). PRICE/HOUR is for ${size.cpu} CPU, ${size.memory} GB memory, ${size.storage} GB storage (--cpu, --memory, --storage).`,
    )
    say(ctx.io, 'Rent a VM: golem-vm create NAME --provider-id <PROVIDER ID> --size small [--hours N on a priced provider]')
  }
  if (offers.some((o) => o.isolated !== true))
    note(
      ctx.io,
      "ISOLATED NO or -: that provider's VMs may reach its host and LAN, so other renters' VMs there may reach yours (--isolated lists only isolated ones)",
    )
  if (offers.some((o) => !o.verified)) note(ctx.io, 'WARNING: providers marked VERIFIED NO carry no signature of the provider; anyone could have posted them')
  for (const r of selection.rejected) {
    note(ctx.io, `dropped provider ${r.provider_id}: its advertisement does not verify (${r.reason}); the discovery service altered it or it is forged`)
  }
  if (selection.hiddenUnverified > 0)
    note(ctx.io, `${selection.hiddenUnverified} advertisement(s) hidden: not signed by their provider (--include-unverified shows them)`)
  if (selection.hiddenMalformed > 0) note(ctx.io, `${selection.hiddenMalformed} malformed advertisement(s) hidden`)
  if (selection.truncated) note(ctx.io, 'more providers match than one listing shows; narrow the search with --cpu, --memory, --storage or --country')
}

/** Lists providers; returns the exit code. */
export async function providersCommand(ctx: CommandContext, opts: ProvidersOptions): Promise<number> {
  const filter = filterFrom(opts)
  const listing = await ctx.deps.discovery.list(filter)
  const selected = selectOffers(listing.advertisements, listing.malformed, opts.includeUnverified === true)
  // Also here: a discovery service that does not know the filter (the original's) answers with every provider.
  const selection = filter.isolated === true ? { ...selected, offers: selected.offers.filter((o) => o.isolated === true) } : selected
  const size = { cpu: filter.cpu ?? 1, memory: filter.memory ?? 1, storage: filter.storage ?? 10 }
  if (opts.json === true) {
    printJson(ctx.io, {
      providers: selection.offers.map((o) => ({
        ...o,
        price_per_hour: o.pricing === null ? null : { ...size, amount: hourlyCost(pricesOf(o.pricing), size).toString(), token_symbol: o.pricing.token_symbol },
      })),
      hidden_unverified: selection.hiddenUnverified,
      hidden_malformed: selection.hiddenMalformed,
      rejected: selection.rejected,
      truncated: listing.truncated,
    })
  } else {
    printHuman(ctx, { ...selection, truncated: listing.truncated }, size)
  }
  return 0
}
