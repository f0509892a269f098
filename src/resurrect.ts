import type {HomePaths} from './home.js'
import {SupervisorClient} from './client/supervisor-client.js'
import {loadDump} from './store/dump.js'

export interface ResurrectOutput {
  log: (text: string) => void
  note: (text: string) => void
  warn: (text: string) => void
}

/**
 * `tspm resurrect`, shared by the Resurrect command and bin/run.js, which runs a bare
 * `tspm resurrect` without oclif: that is what the boot service runs, and a supervisor that
 * lives for months should not carry the CLI framework in its memory.
 */
export async function resurrect(paths: HomePaths, out: ResurrectOutput): Promise<void> {
  const saved = loadDump(paths)
  for (const warning of saved.warnings) out.warn(warning)
  if (saved.source === 'none')
    out.note(`no saved list at ${paths.dumpFile}: running with no processes (save one with \`tspm save\`)`)
  else out.note(`restoring ${saved.processes.length} saved process(es) from ${saved.file}`)

  const client = new SupervisorClient(paths)
  const health = await client.health()
  if (health) {
    const {results} = await client.start(saved.processes)
    const started = results.filter((result) => result.outcome === 'started').map((result) => result.name)
    const running = results.filter((result) => result.outcome === 'already-running').map((result) => result.name)
    out.log(
      `a supervisor already runs for TSPM_HOME=${paths.home} (pid ${health.pid}): started ${started.length > 0 ? started.join(', ') : 'nothing'}` +
        (running.length > 0 ? `; already running: ${running.join(', ')}` : ''),
    )
    for (const result of results)
      if (result.outcome === 'failed') out.warn(result.error ?? `${result.name} failed to start`)
    return
  }

  const {runSupervisor} = await import('./supervisor/run.js')
  const running = await runSupervisor({paths, mode: 'foreground', initial: saved.processes})
  await running.closed
}
