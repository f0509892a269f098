/**
 * Commands that bin/run.js runs without oclif when typed exactly as in this table: loading oclif
 * costs more than the whole answer of `tspm list` (which people run often, in a watch loop), and
 * `tspm resurrect` is the boot service's supervisor, which should not carry the CLI framework for
 * months. Anything else (`--help`, other flags) goes through oclif and the command's class, which
 * call the same service with the same Output, so both ways print the same bytes.
 */
import {checkHome, homePaths, resolveHome} from '../store/home.js'
import {CommandOutput, jsonRequested, type Output} from './errors.js'

interface FastCommand {
  /** The command and its aliases. */
  ids: string[]
  /** The only flags that may follow for this path to be taken. */
  flags: string[]
  run(output: Output): Promise<unknown>
}

const FAST_COMMANDS: FastCommand[] = [
  {
    ids: ['list', 'ls'],
    flags: ['--json'],
    async run(output) {
      const {listProcesses} = await import('../services/process-list.js')
      return listProcesses(homePaths(), output)
    },
  },
  {
    ids: ['resurrect'],
    flags: [],
    async run(output) {
      const {resurrect} = await import('../services/resurrect.js')
      return resurrect(homePaths(), output)
    },
  },
]

/** The fast command this argv asks for, ready to run; undefined sends it through oclif. */
export function fastCommandFor(argv: readonly string[]): (() => Promise<void>) | undefined {
  const [id, ...rest] = argv
  const command = FAST_COMMANDS.find((candidate) => candidate.ids.includes(id))
  if (!command || !rest.every((arg) => command.flags.includes(arg))) return undefined
  // Commands without --json ignore TSPM_CONTENT_TYPE, as oclif does.
  const json = command.flags.includes('--json') && jsonRequested(rest)
  return async () => {
    const output = new CommandOutput(json)
    try {
      checkHome(resolveHome())
      output.succeed(await command.run(output))
    } catch (error) {
      process.exitCode = output.fail(error)
    }
  }
}
