/**
 * `tspm list` without oclif. Listing is what people run most (often in a watch loop), and loading
 * oclif costs more than the whole answer; bin/run.js sends only a bare `list`/`ls` [--json] here,
 * everything else (help, other flags) goes through oclif and the List command, which share
 * showProcessList with this path.
 */
import {directOutput, runDirect} from './direct-run.js'
import {homePaths} from './home.js'
import {showProcessList} from './list-view.js'

export function isFastListArgv(argv: string[]): boolean {
  return (argv[0] === 'list' || argv[0] === 'ls') && argv.slice(1).every((arg) => arg === '--json')
}

export async function runFastList(argv: string[]): Promise<void> {
  const json = argv.includes('--json')
  await runDirect(
    async () => {
      const processes = await showProcessList(homePaths(), json, directOutput)
      if (json) process.stdout.write(`${JSON.stringify(processes, null, 2)}\n`)
    },
    {json},
  )
}
