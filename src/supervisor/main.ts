/**
 * The one entry of a supervisor process, the same for the background daemon (`tspm start` spawns
 * daemon.ts) and for the foreground boot service (`tspm resurrect`), started with the same runtime
 * flags (model/supervisor-runtime.ts). It loads the supervisor alone, no npm package: its memory
 * is what every user pays while their apps run.
 */
import {spawn} from 'node:child_process'

import type {HealthResponse} from '../model/api.js'
import type {HomePaths} from '../store/home.js'

import {ExitCode, TspmError} from '../model/exit-codes.js'
import {TSPM_ENTRY} from '../model/supervisor-runtime.js'
import './no-debugger.js'
import {collectNow} from './memory.js'
import {timestamped} from './own-log.js'
import {runSupervisor} from './run.js'

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
}

/** Runs a supervisor until it is shut down, then ends the process with its exit code. */
export async function runSupervisorProcess(options: SupervisorProcessOptions): Promise<never> {
  const {paths, mode} = options
  // Its own messages go to a file or the journal; a full disk there must not take it down.
  process.stdout.on('error', () => {})
  process.stderr.on('error', () => {})
  // The last line of defence: an error nobody expected is reported, and the apps stay supervised.
  process.on('uncaughtException', (error) =>
    timestamped(`internal error, kept running: ${error.stack ?? error.message}`),
  )
  process.on('unhandledRejection', (reason) =>
    timestamped(`internal error, kept running: ${(reason as Error)?.stack ?? String(reason)}`),
  )
  // The client that brings back the saved list boots and reads it while this supervisor boots;
  // it waits for this pid to answer.
  const restored = options.restore ? restoreSavedList(paths) : undefined
  let running
  try {
    running = await runSupervisor({paths, mode})
  } catch (error) {
    timestamped(`supervisor failed to start: ${(error as Error).message}`)
    restored?.cancel()
    // eslint-disable-next-line n/no-process-exit, unicorn/no-process-exit -- the supervisor's own process ends here
    process.exit(error instanceof TspmError ? error.exitCode : ExitCode.failure)
  }

  let exitCode: number = ExitCode.ok
  const stop = (signal: NodeJS.Signals) => {
    timestamped(`received ${signal}`)
    running.shutdown().catch(() => {})
  }

  for (const signal of ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const) process.on(signal, stop)
  // No terminal to hang up on; a SIGHUP must not take the apps' supervisor down.
  process.on('SIGHUP', () => timestamped('received SIGHUP; ignored'))
  process.on('SIGUSR2', () => {
    timestamped('received SIGUSR2: reopening the log files')
    running.supervisor.reopenLogs()
  })

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
  // eslint-disable-next-line n/no-process-exit, unicorn/no-process-exit -- the supervisor's own process ends here
  process.exit(exitCode)
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
