export * from './private-files.js'
export * from './deadline.js'
