import {spawn} from 'node:child_process'

import type {Output} from '../cli/errors.js'
import type {HealthResponse} from '../model/api.js'
import type {HomePaths} from '../store/home.js'

import {SupervisorClient} from '../client/supervisor-client.js'
import {ExitCode, TspmError} from '../model/exit-codes.js'
import {hasSupervisorFlags, resurrectCommand} from '../model/supervisor-runtime.js'

export interface ResurrectResult {
  /** The supervisor the saved list went to. */
  pid: number
  started: string[]
  already_running: string[]
}

/**
 * `tspm resurrect`. With a supervisor running for this home, it starts in it the saved processes
 * that are not running, and returns. Without one, this process becomes the supervisor, in the
 * foreground, until SIGTERM or SIGINT: the one supervisor entry (supervisor/main.ts), with the
 * same runtime flags as the background daemon. Started without those flags (typed by hand), it
 * runs `<runtime> [flags] <tspm> resurrect` in its place, in the foreground, and passes on signals.
 */
export async function resurrect(paths: HomePaths, output: Output): Promise<ResurrectResult> {
  const client = new SupervisorClient(paths)
  const health = await client.health()
  if (health) return restoreInto(client, health, paths, output)
  // The client a foreground supervisor runs to restore its own list: that supervisor is gone
  // (killed meanwhile), and starting another in its place would race the next boot's.
  if (process.env.TSPM_RESTORE_INTO) {
    throw new TspmError(
      `the supervisor (pid ${process.env.TSPM_RESTORE_INTO}) that asked for the saved list does not answer on ${paths.socket}`,
      {exit: ExitCode.notRunning, code: 'not_running'},
    )
  }

  if (hasSupervisorFlags()) {
    const {runSupervisorProcess} = await import('../supervisor/main.js')
    return runSupervisorProcess({paths, mode: 'foreground', restore: true})
  }

  process.exitCode = await runWithSupervisorFlags(paths)
  return {pid: 0, started: [], already_running: []}
}

async function restoreInto(
  client: SupervisorClient,
  health: HealthResponse,
  paths: HomePaths,
  output: Output,
): Promise<ResurrectResult> {
  const {loadDump} = await import('../store/dump.js')
  const saved = await loadDump(paths)
  for (const warning of saved.warnings) output.warn(warning)
  // Run by a foreground supervisor of its own at its start (supervisor/main.ts), or by a user.
  const ownSupervisor = process.env.TSPM_RESTORE_INTO === String(health.pid)
  if (saved.source === 'none') {
    output.note(
      `no saved list at ${paths.dumpFile}: ${ownSupervisor ? 'running with no processes' : 'nothing to bring back'} (save one with \`tspm save\`)`,
    )
    return {pid: health.pid, started: [], already_running: []}
  }

  if (ownSupervisor) output.note(`restoring ${saved.processes.length} saved process(es) from ${saved.file}`)
  const {results} = await client.start(saved.processes)
  const named = (outcome: string) => results.filter((result) => result.outcome === outcome).map((result) => result.name)
  const started = named('started')
  const running = named('already-running')
  if (ownSupervisor) {
    for (const result of results)
      output.log(`${result.name}: ${result.outcome}${result.error ? ` (${result.error})` : ''}`)
  } else {
    output.log(
      `a supervisor already runs for TSPM_HOME=${paths.home} (pid ${health.pid}): started ${started.length > 0 ? started.join(', ') : 'nothing'}` +
        (running.length > 0 ? `; already running: ${running.join(', ')}` : ''),
    )
    for (const result of results)
      if (result.outcome === 'failed') output.warn(result.error ?? `${result.name} failed to start`)
  }

  return {pid: health.pid, started, already_running: running}
}

/** The supervisor in a child with the runtime flags, in the foreground; resolves with its exit code. */
function runWithSupervisorFlags(paths: HomePaths): Promise<number> {
  const [runtime, ...args] = resurrectCommand()
  const child = spawn(runtime, args, {stdio: 'inherit', env: {...process.env, TSPM_HOME: paths.home}})
  const forward = (signal: NodeJS.Signals) => child.kill(signal)
  const signals = ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR2'] as const
  for (const signal of signals) process.on(signal, forward)
  return new Promise((resolve) => {
    child.once('error', () => resolve(ExitCode.failure))
    child.once('exit', (code, signal) => {
      for (const name of signals) process.off(name, forward)
      resolve(code ?? (signal === 'SIGTERM' || signal === 'SIGINT' ? ExitCode.ok : ExitCode.failure))
    })
  })
}
