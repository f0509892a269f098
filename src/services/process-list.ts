import type {Output} from '../cli/errors.js'
import type {ProcessInfo} from '../model/api.js'
import type {HomePaths} from '../store/home.js'

import {SupervisorClient} from '../client/supervisor-client.js'
import {ExitCode, TspmError} from '../model/exit-codes.js'
import {PAGE_SIZE, readProcStat} from '../os/proc.js'
import {findOrphans, type Orphan} from '../store/orphans.js'
import {liveSupervisor} from '../store/supervisor-lock.js'
import {colourEnabled} from '../views/format.js'
import {renderProcessTable} from '../views/process-table.js'

/**
 * `tspm list`: the supervisor's table, for the List command and the fast path alike. With no
 * supervisor answering it fails with exit 3, and shows what of this home still runs without one.
 */
export async function listProcesses(paths: HomePaths, output: Output): Promise<ProcessInfo[]> {
  const client = new SupervisorClient(paths)
  if (await client.health()) {
    const processes = await client.list()
    if (processes.length === 0) output.note('no processes; start some with `tspm start`')
    else output.log(renderProcessTable(processes, colourEnabled()))
    return processes
  }

  const stranded = liveSupervisor(paths)
  if (stranded) {
    throw new TspmError(
      `the supervisor of TSPM_HOME=${paths.home} (pid ${stranded.pid}) runs but does not answer on ${paths.socket}; it binds it again within seconds: try again, or stop it with \`tspm kill\``,
      {exit: ExitCode.notRunning, code: 'not_answering', result: []},
    )
  }

  const orphans = findOrphans(paths).map((orphan) => orphanInfo(orphan))
  if (orphans.length === 0) {
    throw new TspmError(
      `no supervisor is running for TSPM_HOME=${paths.home}; start your apps with \`tspm start\` (or \`tspm resurrect\`)`,
      {exit: ExitCode.notRunning, code: 'not_running', result: []},
    )
  }

  output.log(renderProcessTable(orphans, colourEnabled()))
  throw new TspmError(
    `no supervisor is running for TSPM_HOME=${paths.home}, but ${orphans.length} of its apps still run without one (the orphans above: their supervisor was killed); ` +
      '`tspm kill` stops them, `tspm resurrect` stops them and brings back the saved list',
    {exit: ExitCode.notRunning, code: 'orphans', result: orphans},
  )
}

/** An orphan as a row of the list. */
function orphanInfo(orphan: Orphan): ProcessInfo {
  const memory = orphan.pids.reduce((total, pid) => total + (readProcStat(pid)?.rssPages ?? 0) * PAGE_SIZE, 0)
  return {
    name: orphan.name,
    instance: orphan.instance,
    id: orphan.instance === 0 ? orphan.name : `${orphan.name}:${orphan.instance}`,
    number: orphan.number,
    status: 'orphan',
    desired: 'online',
    pid: orphan.pgid,
    proc_start_time: readProcStat(orphan.pgid)?.startTime ?? null,
    restarts: 0,
    started_at: null,
    last_exit: null,
    last_error: `running without a supervisor (pids ${orphan.pids.join(', ')})`,
    log_bytes_dropped: 0,
    status_detail: 'its supervisor was killed: `tspm kill` stops it',
    ready: null,
    health: null,
    last_restart_reason: null,
    start: {attempt: 0, outcome: 'none', message: null},
    uptime_ms: 0,
    cpu: 0,
    memory,
    script: '',
    args: [],
    cwd: '',
    triggers: null,
  }
}
