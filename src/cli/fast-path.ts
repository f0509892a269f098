/**
 * Commands that bin/run.js runs without oclif when typed exactly as in this table: loading oclif
 * costs more than the whole answer of `tspm list` (which people run often, in a watch loop), of
 * `tspm save` and of `tspm --version`; `tspm start -c FILE` starts its supervisor that much
 * sooner; `tspm logs` answers in a few milliseconds more than its reads, even on a large log;
 * `reload`, `restart`, `stop` and `delete` run in deploy scripts on a machine that is serving
 * (oclif's load is about 150 ms of CPU taken from the apps); and `tspm resurrect` is the boot
 * service's supervisor, which should not carry the CLI framework for months. Anything else
 * (`--help`, other flags) goes through oclif and the command's class, which call the same service
 * with the same Output, so both ways print the same bytes (test/integration/cli-faces.test.ts).
 */
import {readFileSync} from 'node:fs'
import {arch, platform, release} from 'node:os'

import {checkHome, checkHomeIsPrivate, homePaths, resolveHome} from '../store/home.js'
import {CommandOutput, jsonRequested, type Output} from './errors.js'
import {parseLineCount} from './line-count.js'

/** A flag the fast path understands: `--name`, `--name VALUE`, `--name=VALUE`, `-c VALUE`. */
interface FastFlag {
  name: string
  char?: string
  takesValue?: true
  /** A value oclif would refuse is left to oclif, which says what is wrong with it. */
  accepts?: (value: string) => boolean
}

type ParsedFlags = Record<string, string | true>

interface FastCommand {
  /** The command and its aliases. */
  ids: string[]
  /** The only flags that may follow, each at most once, for this path to be taken. */
  flags: FastFlag[]
  /** The flag that one bare argument sets (`tspm run FILE` is `tspm run -c FILE`). */
  argument?: string
  /** Whether words that are not flags (names) may come too; none otherwise. */
  takesNames?: true
  /**
   * Whether this combination is one the command accepts as it is; anything else (a missing name,
   * flags that exclude or need each other) goes to oclif, which says what is wrong.
   */
  admits?: (flags: ParsedFlags, names: string[]) => boolean
  /** Whether it acts on TSPM_HOME (and so checks it first, as TspmCommand.init does). */
  usesHome?: false
  run(output: Output, flags: ParsedFlags, names: string[]): Promise<unknown>
}

const JSON_FLAG: FastFlag = {name: 'json'}
const WAIT_FLAGS: FastFlag[] = [{name: 'wait'}, {name: 'no-wait'}]
const notBothWaitFlags = (flags: ParsedFlags) => !(flags.wait && flags['no-wait'])

/** stop, restart and delete: one or more names, as ProcessActionCommand takes them. */
function processAction(action: 'delete' | 'restart' | 'stop', ids: string[], flags: FastFlag[] = []): FastCommand {
  return {
    ids,
    takesNames: true,
    flags: [JSON_FLAG, ...flags],
    admits: (given, names) => names.length > 0 && notBothWaitFlags(given),
    async run(output, given, targets) {
      const {actOnProcesses} = await import('../services/process-action.js')
      return actOnProcesses(homePaths(), {action, targets, wait: given['no-wait'] !== true}, output)
    },
  }
}

const FAST_COMMANDS: FastCommand[] = [
  {
    ids: ['list', 'ls'],
    flags: [JSON_FLAG],
    async run(output) {
      const {listProcesses} = await import('../services/process-list.js')
      return listProcesses(homePaths(), output)
    },
  },
  {
    ids: ['save'],
    flags: [JSON_FLAG, {name: 'force'}],
    async run(output, flags) {
      const {saveProcessList} = await import('../services/save.js')
      return saveProcessList(homePaths(), {force: flags.force === true}, output)
    },
  },
  {
    // The config-file form; `tspm start SCRIPT ...` goes through oclif.
    ids: ['start'],
    flags: [JSON_FLAG, {name: 'config', char: 'c', takesValue: true}, ...WAIT_FLAGS],
    admits: notBothWaitFlags,
    async run(output, flags) {
      const {startProcesses} = await import('../services/start.js')
      const config = typeof flags.config === 'string' ? flags.config : undefined
      return startProcesses(homePaths(), {scriptArgs: [], config, wait: flags['no-wait'] !== true}, output)
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
    ids: ['logs'],
    takesNames: true,
    flags: [
      JSON_FLAG,
      {name: 'lines', char: 'n', takesValue: true, accepts: (value) => parseLineCount(value) !== undefined},
      {name: 'follow', char: 'f'},
      {name: 'out'},
      {name: 'err'},
      {name: 'timestamp'},
    ],
    admits: (flags) => !(flags.out && flags.err),
    async run(output, flags, names) {
      const {showLogs} = await import('../services/logs.js')
      return showLogs(
        homePaths(),
        {
          names,
          lines: typeof flags.lines === 'string' ? parseLineCount(flags.lines)! : 20,
          follow: flags.follow === true,
          stream: flags.out ? 'out' : flags.err ? 'err' : undefined,
          timestamp: flags.timestamp === true,
          json: output.json,
        },
        output,
      )
    },
  },
  {
    // Deploys run it: a rolling reload shares the machine with the traffic it keeps serving.
    ids: ['reload'],
    takesNames: true,
    flags: [
      JSON_FLAG,
      {name: 'config', char: 'c', takesValue: true},
      {name: 'env', takesValue: true},
      {name: 'strict'},
    ],
    // One name; --env and --strict only with -c.
    admits: (flags, names) => names.length === 1 && ('config' in flags || !('env' in flags || 'strict' in flags)),
    async run(output, flags, [target]) {
      const {reloadProcesses} = await import('../services/reload.js')
      const value = (name: string) => (typeof flags[name] === 'string' ? flags[name] : undefined)
      return reloadProcesses(
        homePaths(),
        {target: target!, config: value('config'), env: value('env'), strict: flags.strict === true},
        output,
      )
    },
  },
  processAction('restart', ['restart'], WAIT_FLAGS),
  processAction('stop', ['stop']),
  processAction('delete', ['delete', 'del', 'rm']),
  {
    ids: ['resurrect'],
    flags: [],
    async run(output) {
      const {resurrect} = await import('../services/resurrect.js')
      return resurrect(homePaths(), output)
    },
  },
  {
    // A container's supervisor for months: without oclif in its memory.
    ids: ['run'],
    flags: [{name: 'config', char: 'c', takesValue: true}, {name: 'env', takesValue: true}, {name: 'strict'}],
    argument: 'config',
    async run(output, flags) {
      const {runInForeground} = await import('../services/run.js')
      const value = (name: string) => (typeof flags[name] === 'string' ? flags[name] : undefined)
      return runInForeground(
        homePaths(),
        {config: value('config'), env: value('env'), strict: flags.strict === true},
        output,
      )
    },
  },
]

/** The flags and names of `rest`, or undefined for anything else (which oclif then parses and reports). */
function parseFlags(
  rest: readonly string[],
  {flags: known, takesNames, argument}: FastCommand,
): undefined | {flags: ParsedFlags; names: string[]} {
  const flags: ParsedFlags = {}
  const names: string[] = []
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!
    if (!arg.startsWith('-') && (argument !== undefined || takesNames)) {
      if (argument === undefined) names.push(arg)
      else if (argument in flags) return undefined
      else flags[argument] = arg
      continue
    }

    const [written, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined]
    const flag = known.find(
      (candidate) =>
        written === `--${candidate.name}` || (candidate.char !== undefined && written === `-${candidate.char}`),
    )
    if (!flag || flag.name in flags) return undefined
    if (!flag.takesValue) {
      if (inline !== undefined) return undefined
      flags[flag.name] = true
      continue
    }

    const value = inline ?? rest[++i]
    if (value === undefined || (inline === undefined && value.startsWith('-'))) return undefined
    if (flag.accepts && !flag.accepts(value)) return undefined
    flags[flag.name] = value
  }

  return {flags, names}
}

/** The fast command this argv asks for, ready to run; undefined sends it through oclif. */
export function fastCommandFor(argv: readonly string[]): (() => Promise<void>) | undefined {
  const [id, ...rest] = argv
  const command = FAST_COMMANDS.find((candidate) => candidate.ids.includes(id))
  const parsed = command && parseFlags(rest, command)
  if (!command || !parsed) return undefined
  const {flags, names} = parsed
  if (command.admits && !command.admits(flags, names)) return undefined
  // Commands without --json ignore TSPM_CONTENT_TYPE, as oclif does.
  const json = command.flags.includes(JSON_FLAG) && jsonRequested(rest)
  return async () => {
    const output = new CommandOutput(json)
    try {
      if (command.usesHome !== false) {
        checkHome(resolveHome())
        checkHomeIsPrivate(homePaths())
      }

      const result = await command.run(output, flags, names)
      if (result !== undefined) output.succeed(result)
    } catch (error) {
      process.exitCode = output.fail(error)
    }
  }
}
