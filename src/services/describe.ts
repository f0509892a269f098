import type {Output} from '../cli/errors.js'
import type {ProcessInfo} from '../model/api.js'
import type {ProcessSpec} from '../model/process-spec.js'
import type {HomePaths} from '../store/home.js'

import {connectExisting} from '../client/connect.js'
import {SupervisorNotRunningError} from '../client/supervisor-client.js'
import {ExitCode, TspmError} from '../model/exit-codes.js'
import {appLogPaths} from '../store/home.js'
import {renderDescription} from '../views/describe.js'

export interface Description {
  /** The definition, with env as configured (env_file's values are never read here). */
  spec: ProcessSpec
  /** Each instance's state, as `list --json` shows it. */
  instances: ProcessInfo[]
  /** The log files of each instance. */
  logs: Array<{instance: number; out: string; err: string; combined?: string}>
}

/**
 * `tspm describe NAME`: one app (or one instance, `web:2`, or its number) told in full. With no
 * supervisor running, the saved definition (dump.json), said so.
 */
export async function describeProcess(paths: HomePaths, target: string, output: Output): Promise<Description> {
  let client
  try {
    client = await connectExisting(paths)
  } catch (error) {
    if (!(error instanceof SupervisorNotRunningError)) throw error
    return describeSaved(paths, target, output)
  }

  const [saved, listed] = await Promise.all([client.saved(), client.list()])
  const chosen = listed.filter((info) => info.name === target || info.id === target || String(info.number) === target)
  const name = chosen[0]?.name
  const spec = saved.find((entry) => entry.spec.name === name)?.spec
  if (!spec || chosen.length === 0) {
    const names = [...new Set(listed.map((info) => info.name))]
    throw new TspmError(
      `no process named "${target}"; ${names.length > 0 ? `known: ${names.join(', ')}` : 'nothing is managed yet'}`,
      {code: 'unknown_process'},
    )
  }

  const instances = chosen.filter((info) => info.name === name)
  const description: Description = {
    spec,
    instances,
    logs: instances.map((info) => ({instance: info.instance, ...appLogPaths(spec, paths.logsDir, info.instance)})),
  }
  output.log(renderDescription(description))
  return description
}

/** The definition `tspm save` wrote, when no supervisor runs: no state, and what brings it back. */
async function describeSaved(paths: HomePaths, target: string, output: Output): Promise<Description> {
  const {loadDump} = await import('../store/dump.js')
  const saved = await loadDump(paths)
  const entry = saved.processes.find((candidate) => candidate.spec.name === target.replace(/:\d+$/, ''))
  if (!entry) {
    const names = saved.processes.map((candidate) => candidate.spec.name)
    throw new TspmError(
      `no supervisor is running for TSPM_HOME=${paths.home}, and the saved list has no process named "${target}"` +
        (names.length > 0 ? `; saved: ${names.join(', ')}` : ''),
      {exit: ExitCode.notRunning, code: 'not_running'},
    )
  }

  const {spec} = entry
  const description: Description = {
    spec,
    instances: [],
    logs: [{instance: 0, ...appLogPaths(spec, paths.logsDir, 0)}],
  }
  output.log(renderDescription(description))
  output.note(
    `no supervisor is running: this is the definition saved in ${saved.file ?? paths.dumpFile} (saved ${entry.desired}); \`tspm resurrect\` brings it back`,
  )
  return description
}
