#!/usr/bin/env node
// A few commands typed bare skip oclif (see src/cli/fast-path.ts); everything else, `--help`
// included, goes through oclif.
import {fastCommandFor} from '../dist/cli/fast-path.js'

const fast = fastCommandFor(process.argv.slice(2))
if (fast) {
  await fast()
} else {
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url})
}
