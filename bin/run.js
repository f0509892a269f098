#!/usr/bin/env node
// A few commands typed bare skip oclif (see src/cli/fast-path.ts); everything else, `--help`
// included, goes through oclif.
const argv = process.argv.slice(2)
// `tspm resurrect` and `tspm run` become a long-lived supervisor: first of all, no debugger may be opened by a signal.
if (argv[0] === 'resurrect' || argv[0] === 'run') await import('../dist/supervisor/no-debugger.js')

const {fastCommandFor} = await import('../dist/cli/fast-path.js')
const fast = fastCommandFor(argv)
if (fast) {
  await fast()
} else {
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url})
}
