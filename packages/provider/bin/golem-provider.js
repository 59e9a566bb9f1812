#!/usr/bin/env -S node --max-semi-space-size=1
// --max-semi-space-size=1: V8's young generation keeps 1 MiB semi-spaces instead of growing them to 16 MiB.
// A provider is idle nearly all the time; this keeps it about 18 MiB smaller there (bench/RESULTS.md,
// footprint) at no measurable cost to the API under load. Started as `node bin/golem-provider.js` it works
// the same, only larger.
import '../dist/src/main.js'
