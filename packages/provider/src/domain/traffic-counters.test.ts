import assert from 'node:assert/strict'
import { test } from 'node:test'
import { counterDeclarations, counterName, parseNftCounters, trafficOf } from './traffic-counters.js'

const web = { protocol: 'tcp' as const, publicPort: 50812 }
const game = { protocol: 'udp' as const, publicPort: 50813 }

test("parses the counters of the provider's table from `nft -j list counters`, leaving out other tables, families and malformed entries", () => {
  const json = JSON.stringify({
    nftables: [
      { metainfo: { version: '1.0.6', json_schema_version: 1 } },
      { counter: { family: 'inet', name: 'tcp_50812_in', table: 'golem_abc', handle: 4, packets: 12, bytes: 3400 } },
      { counter: { family: 'inet', name: 'udp_50813_out', table: 'golem_abc', handle: 5, packets: 0, bytes: 0 } },
      { counter: { family: 'inet', name: 'tcp_50812_in', table: 'golem_other', handle: 4, packets: 99, bytes: 99 } },
      { counter: { family: 'ip', name: 'tcp_50812_out', table: 'golem_abc', handle: 4, packets: 99, bytes: 99 } },
      { counter: { family: 'inet', name: 'tcp_50812_new', table: 'golem_abc', packets: -1, bytes: 0 } },
      { counter: { family: 'inet', name: 'tcp_50812_refused', table: 'golem_abc', packets: '3', bytes: 0 } },
      { counter: { family: 'inet', table: 'golem_abc', packets: 1, bytes: 1 } },
      null,
      { table: { family: 'inet', name: 'golem_abc' } },
    ],
  })
  assert.deepEqual(
    [...parseNftCounters(json, 'golem_abc')],
    [
      ['tcp_50812_in', { packets: 12, bytes: 3400 }],
      ['udp_50813_out', { packets: 0, bytes: 0 }],
    ],
  )
  for (const bad of ['', 'not json', 'null', '{"nftables": 3}', '[]']) assert.equal(parseNftCounters(bad, 'golem_abc').size, 0, bad)
})

test("a VM's traffic is the sum over its public ports: bytes of `in` and `out`, packets of `new` and `refused`", () => {
  const counters = new Map([
    [counterName(web, 'in'), { packets: 10, bytes: 1000 }],
    [counterName(web, 'out'), { packets: 8, bytes: 5000 }],
    [counterName(web, 'new'), { packets: 2, bytes: 120 }],
    [counterName(web, 'refused'), { packets: 1, bytes: 60 }],
    [counterName(game, 'in'), { packets: 3, bytes: 300 }],
    [counterName(game, 'out'), { packets: 3, bytes: 300 }],
    [counterName(game, 'new'), { packets: 1, bytes: 100 }],
    ['tcp_50899_in', { packets: 1, bytes: 7777 }],
  ])
  assert.deepEqual(trafficOf([web, game], counters), { bytesIn: 1300, bytesOut: 5300, connections: 3, refused: 1 })
  assert.deepEqual(trafficOf([], counters), { bytesIn: 0, bytesOut: 0, connections: 0, refused: 0 })
})

test('every counted port gets its four counters, with the values carried over; only forwarded ports get map elements', () => {
  const lines = counterDeclarations([game, web, web], [{ ...web, address: '10.66.0.2', port: 8080 }], new Map([['tcp_50812_in', { packets: 5, bytes: 700 }]]))
  assert.deepEqual(lines.slice(0, 8), [
    'counter tcp_50812_in { packets 5 bytes 700 }',
    'counter tcp_50812_out { }',
    'counter tcp_50812_new { }',
    'counter tcp_50812_refused { }',
    'counter udp_50813_in { }',
    'counter udp_50813_out { }',
    'counter udp_50813_new { }',
    'counter udp_50813_refused { }',
  ])
  assert.equal(lines[8], 'map traffic_in { type ipv4_addr . inet_proto . inet_service : counter; elements = { 10.66.0.2 . tcp . 8080 : "tcp_50812_in" }; }')
  assert.equal(lines.length, 12)
})
