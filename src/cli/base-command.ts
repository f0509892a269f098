import {Command, type Interfaces} from '@oclif/core'

import {checkHome, checkHomeIsPrivate, homePaths, type HomePaths, resolveHome} from '../store/home.js'
import {CommandOutput, type Output, renderJson, successEnvelope} from './errors.js'

export type InferredFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof TspmCommand)['baseFlags'] & T['flags']
>
export type InferredArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/**
 * The one base of every tspm command. Its output goes through cli/errors.ts, as the fast path's
 * does: the same `--json` envelope for success and failure, the same `Error:` and `Warning:`
 * faces, the exit code from the table (oclif would turn it into 1 under --json). TSPM_HOME is
 * checked in init(), which oclif runs inside the command's own try, so a bad home is reported
 * like any other error, --json included.
 */
export abstract class TspmCommand extends Command {
  private commandOutput: CommandOutput | undefined

  /** Where the command's services write: stdout for the answer, stderr for notes and warnings. */
  protected get output(): Output {
    this.commandOutput ??= new CommandOutput(this.jsonEnabled())
    return this.commandOutput
  }

  protected get paths(): HomePaths {
    return homePaths()
  }

  /**
   * Whether the command acts on the caller's own TSPM_HOME, so that init() checks the home is
   * theirs and private. startup and unstartup act on the service user's home and check it so.
   */
  static actsOnOwnHome = true

  override async init(): Promise<void> {
    await super.init()
    checkHome(resolveHome())
    if ((this.constructor as typeof TspmCommand).actsOnOwnHome) checkHomeIsPrivate(homePaths())
  }

  override log(message = ''): void {
    this.output.log(message)
  }

  override logToStderr(message = ''): void {
    this.output.note(message)
  }

  override warn(input: Error | string): Error | string {
    this.output.warn(typeof input === 'string' ? input : input.message)
    return input
  }

  /** Notes and progress: stderr, so stdout stays the command's answer. */
  protected note(message: string): void {
    this.output.note(message)
  }

  override logJson(json: unknown): void {
    process.stdout.write(renderJson(json))
  }

  override toSuccessJson(result: unknown): unknown {
    return successEnvelope(result, (this.output as CommandOutput).warnings)
  }

  protected override async catch(error: Error): Promise<unknown> {
    process.exitCode = (this.output as CommandOutput).fail(error)
    return undefined
  }
}
