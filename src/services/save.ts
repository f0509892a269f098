import type {Output} from '../cli/errors.js'
import type {HomePaths} from '../store/home.js'

import {SupervisorClient} from '../client/supervisor-client.js'
import {ExitCode, TspmError} from '../model/exit-codes.js'

/** `tspm save`: what the supervisor runs, written to dump.json (the previous one kept as .bak). */
export async function saveProcessList(
  paths: HomePaths,
  options: {force: boolean},
  output: Output,
): Promise<{file: string; names: string[]}> {
  const client = new SupervisorClient(paths)
  const health = await client.health()
  const processes = health ? await client.saved() : []
  if (processes.length === 0 && !options.force) {
    throw new TspmError(
      `nothing to save: no process is managed for TSPM_HOME=${paths.home}; ${paths.dumpFile} was not changed (use --force to save an empty list)`,
      {exit: ExitCode.failure, code: 'nothing_to_save'},
    )
  }

  const {writeDump} = await import('../store/dump.js')
  const {notes} = writeDump(paths, processes, health?.metrics ?? null)
  for (const note of notes) output.warn(note)
  const shown = processes.map(({spec, desired}) => (desired === 'stopped' ? `${spec.name} (stopped)` : spec.name))
  output.log(
    `saved ${processes.length} process${processes.length === 1 ? '' : 'es'} to ${paths.dumpFile}${shown.length > 0 ? `: ${shown.join(', ')}` : ''}`,
  )
  return {file: paths.dumpFile, names: processes.map(({spec}) => spec.name)}
}
