import {Command, Interfaces} from '@oclif/core'

import {homePaths, type HomePaths} from './home.js'

export type InferredFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof TspmCommand)['baseFlags'] & T['flags']
>
export type InferredArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/**
 * The one base of every tspm command: resolves TSPM_HOME, keeps the exit code of a TspmError
 * (oclif would turn it into 1 under --json), and prints errors as JSON when --json is on.
 */
export abstract class TspmCommand extends Command {
  protected get paths(): HomePaths {
    return homePaths()
  }

  protected override async catch(
    err: Error & {exitCode?: number; oclif?: {exit?: number}; code?: string},
  ): Promise<unknown> {
    const exit = err.exitCode ?? err.oclif?.exit ?? 1
    process.exitCode = exit
    if (this.jsonEnabled()) {
      this.logJson({status: exit, error: {name: err.name, code: err.code ?? 'failure', message: err.message}})
      return
    }
    // Printed as is: oclif would wrap it at 80 columns, splitting `file:line:col field: message`.
    this.logToStderr(`Error: ${err.message}`)
    this.exit(exit)
  }

  /** Notes and progress: stderr, so stdout stays the command's answer. */
  protected note(message: string): void {
    this.logToStderr(message)
  }
}
