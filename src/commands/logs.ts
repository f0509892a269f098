import {Args, Flags} from '@oclif/core'
import {existsSync} from 'node:fs'

import {TspmCommand} from '../base-command.js'
import {ExitCode, TspmError} from '../exit-codes.js'
import {logFilePaths} from '../home.js'
import {followFile, tailLines} from '../logs/log-reader.js'
import {PROCESS_NAME_PATTERN} from '../process-spec.js'

export default class Logs extends TspmCommand {
  static override summary = "Show a process's output: the last lines of its stdout and stderr logs, or follow them."
  static override description = `Reads $TSPM_HOME/logs/<name>-out.log and <name>-err.log directly (no supervisor needed). With both streams, each file's lines come under a header naming it; with --out or --err the lines come bare, ready for a pipe. --follow keeps printing what is appended, across log rotations, until Ctrl-C.`
  static override args = {
    name: Args.string({description: 'Name of the process.', required: true}),
  }
  static override flags = {
    lines: Flags.integer({char: 'n', summary: 'How many lines to show from the end of each log.', default: 20, min: 0}),
    follow: Flags.boolean({char: 'f', summary: 'Keep printing new lines as they are written.'}),
    out: Flags.boolean({summary: 'Only standard output.', exclusive: ['err']}),
    err: Flags.boolean({summary: 'Only standard error.', exclusive: ['out']}),
  }
  static override examples = [
    '<%= config.bin %> <%= command.id %> web',
    {
      description: 'The last 100 lines of stderr.',
      command: '<%= config.bin %> <%= command.id %> web --err --lines 100',
    },
    {description: 'Follow both streams.', command: '<%= config.bin %> <%= command.id %> web --follow'},
  ]

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Logs)
    if (!PROCESS_NAME_PATTERN.test(args.name)) {
      throw new TspmError(`"${args.name}" is not a process name (letters, digits, ".", "_", "-")`, {
        exit: ExitCode.usage,
        code: 'usage',
      })
    }
    const paths = logFilePaths(this.paths.logsDir, args.name)
    const streams = flags.out ? [paths.out] : flags.err ? [paths.err] : [paths.out, paths.err]
    const files = streams.filter((file) => existsSync(file))
    if (files.length === 0) {
      throw new TspmError(`no logs for "${args.name}" in ${this.paths.logsDir}; see \`tspm list\` for the names`, {
        code: 'unknown_process',
      })
    }
    const headed = streams.length > 1
    for (const file of files) {
      if (headed) this.log(`==> ${file} <==`)
      for (const line of tailLines(file, flags.lines)) this.log(line)
    }
    if (!flags.follow) return

    const stops = files.map((file) =>
      followFile(file, (text) => process.stdout.write(headed ? prefixLines(text, file) : text)),
    )
    await new Promise<void>((resolve) => {
      const finish = () => {
        for (const stop of stops) stop()
        resolve()
      }
      process.once('SIGINT', finish)
      process.once('SIGTERM', finish)
    })
  }
}

function prefixLines(text: string, file: string): string {
  const tag = file.endsWith('-err.log') ? 'err | ' : 'out | '
  return text.replace(/^(?=.)/gm, tag)
}
