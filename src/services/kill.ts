import {setTimeout as delay} from 'node:timers/promises'

import type {Output} from '../cli/errors.js'
import type {HomePaths} from '../store/home.js'

import {SupervisorClient} from '../client/supervisor-client.js'
import {TspmError} from '../model/exit-codes.js'
import {isSameProcess} from '../os/proc.js'
import {findOrphans, stopOrphans} from '../store/orphans.js'
import {liveSupervisor} from '../store/supervisor-lock.js'

/** How long a supervisor gets to stop its apps (each within its kill_timeout, in parallel) and leave. */
const SUPERVISOR_EXIT_TIMEOUT_MS = 60_000

export interface KillResult {
  /** The supervisor that was stopped, if one ran. */
  pid: null | number
  /** Apps found running without a supervisor, and stopped. */
  orphans: string[]
}

/**
 * `tspm kill`: every app stopped gracefully, then the supervisor. A supervisor that does not
 * answer on its socket is found by its lock and stopped with SIGTERM; with no supervisor at all,
 * the apps a dead one left are found (store/orphans.ts) and stopped as `tspm stop` would.
 */
export async function killSupervisor(paths: HomePaths, output: Output): Promise<KillResult> {
  const client = new SupervisorClient(paths)
  if (await client.health()) {
    const {pid} = await client.shutdown()
    output.log(`stopped every process and the supervisor (pid ${pid})`)
    return {pid, orphans: []}
  }

  const stranded = liveSupervisor(paths)
  if (stranded) {
    process.kill(stranded.pid, 'SIGTERM')
    const deadline = Date.now() + SUPERVISOR_EXIT_TIMEOUT_MS
    while (isSameProcess(stranded.pid, stranded.startTime)) {
      if (Date.now() > deadline) {
        throw new TspmError(
          `the supervisor (pid ${stranded.pid}) did not stop within ${SUPERVISOR_EXIT_TIMEOUT_MS / 1000} s of SIGTERM`,
        )
      }

      await delay(50)
    }

    output.log(`stopped the supervisor (pid ${stranded.pid}), which did not answer on its socket, and every process`)
    return {pid: stranded.pid, orphans: []}
  }

  const orphans = findOrphans(paths)
  if (orphans.length === 0) {
    output.log(`no supervisor is running for TSPM_HOME=${paths.home}; nothing to stop`)
    return {pid: null, orphans: []}
  }

  await stopOrphans(orphans)
  const names = [...new Set(orphans.map((orphan) => orphan.name))]
  output.log(`no supervisor was running; stopped what its apps left running: ${names.join(', ')}`)
  return {pid: null, orphans: names}
}
