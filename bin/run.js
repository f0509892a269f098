#!/usr/bin/env node
// Two commands skip oclif when typed bare: `tspm list` (run often, and oclif costs more than the
// answer) and `tspm resurrect` (what the boot service runs: the supervisor should not carry the
// CLI framework for months). Anything else, `--help` included, goes through oclif.
import {isFastListArgv, runFastList} from '../dist/fast-list.js'

const argv = process.argv.slice(2)
if (isFastListArgv(argv)) {
  await runFastList(argv)
} else if (argv.length === 1 && argv[0] === 'resurrect') {
  const [{runDirect, directOutput}, {homePaths}, {resurrect}] = await Promise.all([
    import('../dist/direct-run.js'),
    import('../dist/home.js'),
    import('../dist/resurrect.js'),
  ])
  await runDirect(() => resurrect(homePaths(), directOutput))
} else {
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url})
}
