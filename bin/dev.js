#!/usr/bin/env node
// Development entry: ignores oclif.manifest.json so a freshly compiled command is always found.
import {execute} from '@oclif/core'

await execute({development: true, dir: import.meta.url})
