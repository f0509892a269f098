/**
 * The one entry of a supervisor process, the same for the background daemon (`tspm start` spawns
 * daemon.ts), for the foreground boot service (`tspm resurrect`), started with the same runtime
 * flags (model/supervisor-runtime.ts), and for a container's `tspm run`. It loads the supervisor
 * alone, no npm package: its memory is what every user pays while their apps run.
 */
import type {Readable} from 'node:stream'

import {spawn} from 'node:child_process'

import type {HealthResponse} from '../model/api.js'
import type {HomePaths} from '../store/home.js'

import {ExitCode, TspmError} from '../model/exit-codes.js'
import {TSPM_ENTRY} from '../model/supervisor-runtime.js'
import './no-debugger.js'
import {AppsEndedWatch} from './apps-ended.js'
import {systemClock} from './clock.js'
import {collectNow} from './memory.js'
import {OutputTee} from './output-tee.js'
import {timestamped} from './own-log.js'
import {type RunningSupervisor, runSupervisor} from './run.js'

export interface SupervisorProcessOptions {
  paths: HomePaths
  mode: HealthResponse['mode']
  /**
   * Bring back the saved list once the socket answers. The saved list is read and checked by a
   * short-lived `tspm resurrect` of its own (it finds this supervisor running and hands the list
   * over through the socket, as it would to any running supervisor), so the supervisor itself
   * never loads the schema library that reading needs.
   */
  restore?: boolean
  /**
   * `tspm run`, a container's supervisor: app output is copied to this process's stdout and
   * stderr (supervisor/output-tee.ts) and its own messages go to stderr; `start` runs once the
   * socket answers (it starts the config through the socket, as `tspm start` does, telling what
   * it does through `say`); once every app has ended, the supervisor stops by itself
   * (supervisor/apps-ended.ts). A failed `start` stops it with that error's exit code.
   */
  run?: {start: (say: (message: string) => void) => Promise<void>}
}

/** Runs a supervisor until it is shut down, then ends the process with its exit code. */
export async function runSupervisorProcess(options: SupervisorProcessOptions): Promise<never> {
  const {paths, mode} = options
  // Its own messages go to a file or the journal; a full disk there must not take it down.
  process.stdout.on('error', () => {})
  process.stderr.on('error', () => {})
  const tee = options.run ? new OutputTee() : undefined
  const log = tee ? (message: string) => tee.say(message) : timestamped
  // The last line of defence: an error nobody expected is reported, and the apps stay supervised.
  process.on('uncaughtException', (error) => log(`internal error, kept running: ${error.stack ?? error.message}`))
  process.on('unhandledRejection', (reason) =>
    log(`internal error, kept running: ${(reason as Error)?.stack ?? String(reason)}`),
  )
  // The client that brings back the saved list boots and reads it while this supervisor boots;
  // it waits for this pid to answer.
  const restored = options.restore ? restoreSavedList(paths) : undefined
  let appsEnded: AppsEndedWatch | undefined
  const observer = tee && {
    output: (id: string, stdout: null | Readable, stderr: null | Readable) => tee.observe(id, stdout, stderr),
    changed: () => appsEnded?.changed(),
  }
  let running: RunningSupervisor
  try {
    running = await runSupervisor({paths, mode, log, observer})
  } catch (error) {
    log(`supervisor failed to start: ${(error as Error).message}`)
    restored?.cancel()
    await tee?.flush()
    // eslint-disable-next-line n/no-process-exit, unicorn/no-process-exit -- the supervisor's own process ends here
    process.exit(error instanceof TspmError ? error.exitCode : ExitCode.failure)
  }

  let exitCode: number = ExitCode.ok
  const stop = (signal: NodeJS.Signals) => {
    log(`received ${signal}`)
    running.shutdown().catch(() => {})
  }

  for (const signal of ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const) process.on(signal, stop)
  // No terminal to hang up on; a SIGHUP must not take the apps' supervisor down.
  process.on('SIGHUP', () => log('received SIGHUP; ignored'))
  process.on('SIGUSR2', () => {
    log('received SIGUSR2: reopening the log files')
    running.supervisor.reopenLogs()
  })

  if (options.run) {
    appsEnded = new AppsEndedWatch(() => running.supervisor.snapshots(), systemClock)
    startThenWatch(options.run, appsEnded, log).then(
      async ({code, message}) => {
        // Stopped meanwhile (a signal, `tspm kill`): that stop is the end, and it exits 0.
        if (running.stopping) return
        log(message)
        exitCode = code
        await running.shutdown()
      },
      () => {},
    )
  }

  if (restored) {
    const code = await restored.exitCode
    if (code === ExitCode.ok) {
      // The boot is over: what it left behind is freed now, not kept resident for months.
      collectNow()
    } else {
      timestamped(`the saved list could not be brought back (exit ${code}); stopping`)
      exitCode = code
      await running.shutdown()
    }
  }

  await running.closed
  await tee?.flush()
  // eslint-disable-next-line n/no-process-exit, unicorn/no-process-exit -- the supervisor's own process ends here
  process.exit(exitCode)
}

/** `tspm run`: starts the config, then waits until every app has ended; resolves with the exit code and why. */
async function startThenWatch(
  run: NonNullable<SupervisorProcessOptions['run']>,
  appsEnded: AppsEndedWatch,
  log: (message: string) => void,
): Promise<{code: number; message: string}> {
  try {
    await run.start(log)
  } catch (error) {
    return {
      code: error instanceof TspmError ? error.exitCode : ExitCode.failure,
      message: `${(error as Error).message}; stopping`,
    }
  }

  return appsEnded.whenEnded()
}

/** `tspm resurrect` as a client of this supervisor; its output joins the supervisor's. */
function restoreSavedList(paths: HomePaths): {cancel: () => void; exitCode: Promise<number>} {
  const child = spawn(process.execPath, [TSPM_ENTRY, 'resurrect'], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {...process.env, TSPM_HOME: paths.home, TSPM_RESTORE_INTO: String(process.pid)},
  })
  const exitCode = new Promise<number>((resolve) => {
    child.once('error', (error) => {
      timestamped(`cannot run ${TSPM_ENTRY} resurrect: ${error.message}`)
      resolve(ExitCode.failure)
    })
    child.once('exit', (code, signal) => resolve(code ?? (signal ? ExitCode.failure : ExitCode.ok)))
  })
  return {cancel: () => child.kill('SIGKILL'), exitCode}
}
