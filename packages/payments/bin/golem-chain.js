#!/usr/bin/env node
import '../dist/src/local-chain/main.js'
