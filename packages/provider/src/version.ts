/** The provider's version, reported by the CLI, the status endpoint and the advertisement. */
export const VERSION = '0.2.0'
