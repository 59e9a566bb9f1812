export * from './private-files.js'
export * from './deadline.js'
export * from './loopback-ports.js'
