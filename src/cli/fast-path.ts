/**
 * Commands that bin/run.js runs without oclif when typed exactly as in this table: loading oclif
 * costs more than the whole answer of `tspm list` (which people run often, in a watch loop), of
 * `tspm save` and of `tspm --version`, and `tspm resurrect` is the boot service's supervisor,
 * which should not carry the CLI framework for months. Anything else (`--help`, other flags) goes
 * through oclif and the command's class, which call the same service with the same Output, so
 * both ways print the same bytes (test/integration/cli-faces.test.ts).
 */
import {readFileSync} from 'node:fs'
import {arch, platform, release} from 'node:os'

import {checkHome, checkHomeIsPrivate, homePaths, resolveHome} from '../store/home.js'
import {CommandOutput, jsonRequested, type Output} from './errors.js'

interface FastCommand {
  /** The command and its aliases. */
  ids: string[]
  /** The only flags that may follow for this path to be taken. */
  flags: string[]
  /** Whether it acts on TSPM_HOME (and so checks it first, as TspmCommand.init does). */
  usesHome?: false
  run(output: Output, flags: string[]): Promise<unknown>
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
    ids: ['save'],
    flags: ['--json', '--force'],
    async run(output, flags) {
      const {saveProcessList} = await import('../services/save.js')
      return saveProcessList(homePaths(), {force: flags.includes('--force')}, output)
    },
  },
  {
    // What oclif prints for --version: the package, its version, the platform and the runtime.
    ids: ['--version'],
    flags: [],
    usesHome: false,
    async run() {
      const {name, version} = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))
      // oclif names Windows' Linux subsystem `wsl`.
      const os = platform() === 'linux' && release().toLowerCase().includes('microsoft') ? 'wsl' : platform()
      process.stdout.write(`${name}/${version} ${os}-${arch() === 'ia32' ? 'x86' : arch()} node-${process.version}\n`)
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
  if (!command || !rest.every((arg) => command.flags.includes(arg)) || new Set(rest).size !== rest.length)
    return undefined
  // Commands without --json ignore TSPM_CONTENT_TYPE, as oclif does.
  const json = command.flags.includes('--json') && jsonRequested(rest)
  return async () => {
    const output = new CommandOutput(json)
    try {
      if (command.usesHome !== false) {
        checkHome(resolveHome())
        checkHomeIsPrivate(homePaths())
      }

      const result = await command.run(output, rest)
      if (result !== undefined) output.succeed(result)
    } catch (error) {
      process.exitCode = output.fail(error)
    }
  }
}
