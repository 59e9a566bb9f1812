/* global process */
// Hardhat 2's network as a local JSON-RPC node for tests and `npm run chain`, nothing else:
// contracts are compiled by src/build/compile.ts with the solc package, never by Hardhat.
// GOLEM_CHAIN_BLOCK_INTERVAL_MS: also mine an empty block this often (ms), so block time follows the clock
// while nobody sends transactions; 0 mines only when a transaction arrives (tests that set the time).
const interval = Number(process.env.GOLEM_CHAIN_BLOCK_INTERVAL_MS ?? '1000')

module.exports = {
  networks: {
    hardhat: {
      chainId: 31337,
      hardfork: 'shanghai',
      mining: { auto: true, interval: interval > 0 ? interval : 0 },
    },
  },
}
