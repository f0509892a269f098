import type {ListrLogLevels, LoggerFieldOptions} from 'listr2'

import type {StartupStep} from './platform.js'

import {ExitCode, type ExitCodeValue, TspmError} from '../model/exit-codes.js'

/**
 * How progress is shown: Listr2's live task list on a terminal, one line per finished step when
 * the output is a file or a pipe (logs, CI), nothing with --json. Always on stderr: stdout is
 * the command's answer.
 */
export type ProgressStyle = 'lines' | 'live' | 'silent'

export function progressStyleFor(json: boolean, stream: NodeJS.WriteStream = process.stderr): ProgressStyle {
  if (json) return 'silent'
  return stream.isTTY ? 'live' : 'lines'
}

/**
 * Runs the steps in order. When one fails, the steps that completed are undone newest first
 * (those with a rollback), and a TspmError says what failed and what was undone.
 */
export async function runSteps(steps: StartupStep[], style: ProgressStyle): Promise<void> {
  const completed: StartupStep[] = []
  let failed: undefined | {step: StartupStep; error: Error}
  try {
    await runAsTaskList(
      steps.map((step) => ({
        title: step.title,
        async run(output: (line: string) => void) {
          try {
            await step.run(output)
          } catch (error) {
            failed = {step, error: error as Error}
            throw error
          }

          completed.push(step)
        },
      })),
      style,
    )
    return
  } catch (error) {
    failed ??= {step: {title: 'the step list', run() {}}, error: error as Error}
  }

  const undoable = completed.filter((step) => step.rollback).reverse()
  const undoFailures: string[] = []
  if (undoable.length > 0) {
    await runAsTaskList(
      undoable.map((step) => ({
        title: `Undo: ${step.title}`,
        async run() {
          try {
            await step.rollback!()
          } catch (error) {
            undoFailures.push(`${step.title}: ${(error as Error).message}`)
            throw error
          }
        },
      })),
      style,
      // Undo everything that can be undone, even past a failing undo.
      false,
    ).catch(() => {})
  }

  const {step, error} = failed
  const exit = carriedExitCode(error)
  const code = error instanceof TspmError ? error.code : 'step_failed'
  let message = `${step.title}: ${error.message}`
  if (undoFailures.length > 0)
    message += `\nthese steps could not be undone; fix them by hand:\n  ${undoFailures.join('\n  ')}`
  else if (undoable.length > 0) message += `\nthe steps done before were undone`
  throw new TspmError(message, {exit, code})
}

/**
 * The exit code a step's error carries: a TspmError's, or a plugin's own error's (which need not
 * be the core's class) when it is one of the table; else failure.
 */
function carriedExitCode(error: unknown): ExitCodeValue {
  const exit = (error as null | {exitCode?: unknown})?.exitCode
  const known: readonly unknown[] = Object.values(ExitCode)
  return exit !== ExitCode.ok && known.includes(exit) ? (exit as ExitCodeValue) : ExitCode.failure
}

interface Task {
  title: string
  run(output: (line: string) => void): Promise<void>
}

async function runAsTaskList(tasks: Task[], style: ProgressStyle, exitOnError = true): Promise<void> {
  const {Listr, ListrLogger, ListrLogLevels: Levels, ProcessOutput} = await import('listr2')
  const toStderr = new ProcessOutput(process.stderr, process.stderr)

  /** The simple renderer logs a line when a step starts and one when it ends; keep the end. */
  class OneLinePerStep extends ListrLogger {
    override log(level: ListrLogLevels, message: string | unknown[], options?: LoggerFieldOptions): void {
      if (level !== Levels.STARTED) super.log(level, message as string, options)
    }
  }
  const lines = {
    renderer: 'simple',
    rendererOptions: {logger: new OneLinePerStep({useIcons: true, processOutput: toStderr})},
  } as const
  const chosen =
    style === 'silent'
      ? ({renderer: 'silent', rendererOptions: {}} as const)
      : style === 'lines'
        ? lines
        : ({
            renderer: 'default',
            rendererOptions: {
              logger: new ListrLogger({useIcons: true, processOutput: toStderr}),
              collapseErrors: false,
            },
          } as const)
  const list = new Listr(
    tasks.map((task) => ({
      title: task.title,
      async task(_ctx: unknown, wrapper: {output: string; title: string}) {
        if (style !== 'lines')
          return task.run((line) => {
            wrapper.output = line
          })
        // One line per step: what the step last said goes on its line when it is done.
        let last = ''
        await task.run((line) => {
          last = line
        })
        if (last) wrapper.title = `${task.title}: ${last}`
      },
      // Keep the last line a step printed (what it found, what it did) once it is done.
      rendererOptions: {persistentOutput: true},
    })),
    {
      ...chosen,
      // Listr2 checks stdout for a terminal; when only stderr is one (`| tee`), print lines.
      fallbackRenderer: lines.renderer,
      fallbackRendererOptions: lines.rendererOptions,
      exitOnError,
      // Ctrl-C must end the command, not be kept by the task list.
      registerSignalListeners: false,
    } as ConstructorParameters<typeof Listr>[1],
  )
  await list.run()
}
