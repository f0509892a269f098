/**
 * Finding and stopping what a dead supervisor of this home left running. Two records point at
 * every app: status.json (its pid and /proc start time, so a reused pid is never touched), and
 * the app's own environment, where the supervisor puts TSPM_HOME and TSPM_APP at the spawn
 * itself, so an app is found through /proc even when status.json is gone, corrupt, or was not
 * written yet when the supervisor died. Used by the next supervisor before it starts anything,
 * and by `tspm list` and `tspm kill` when no supervisor answers.
 */
import {setTimeout as delay} from 'node:timers/promises'

import type {HomePaths} from './home.js'

import {askGroupToStop, processesOfUser, readEnviron, readProcStat, scanProcessGroups, signalGroup} from '../os/proc.js'
import {readStatusFile} from './status-file.js'

/** The environment variables that mark a process as an app of one home. */
export const APP_HOME_MARKER = 'TSPM_HOME'
export const APP_NAME_MARKER = 'TSPM_APP'
/** Which instance of its app a process is (0 for an app of one instance). */
export const APP_INSTANCE_MARKER = 'TSPM_INSTANCE'

const DEFAULT_STOP = {stop_signal: 'SIGTERM' as NodeJS.Signals, kill_timeout: 1600}
const POLL_MS = 50

/** One process group an app left running. */
export interface Orphan {
  name: string
  /** Which instance of its app it is (0 when not known). */
  instance: number
  /** Its number in the home, when status.json still tells. */
  number: null | number
  /** The group's id: the pid of the app's first process. */
  pgid: number
  /** The pids seen in that group. */
  pids: number[]
  stop_signal: NodeJS.Signals
  kill_timeout: number
}

/** Every process group of this home's apps that is alive now, whoever's child it is. */
export function findOrphans(paths: HomePaths, exclude: readonly number[] = [process.pid]): Orphan[] {
  const status = readStatusFile(paths)
  const policy = new Map(status?.processes.map((entry) => [entry.name, entry]) ?? [])
  const orphans = new Map<number, Orphan>()
  const add = ({
    name,
    instance,
    pgid,
    pid,
    number = null,
  }: {
    instance: number
    name: string
    number?: null | number
    pgid: number
    pid: number
  }) => {
    const known = orphans.get(pgid)
    if (known) {
      if (!known.pids.includes(pid)) known.pids.push(pid)
      return
    }

    const {stop_signal, kill_timeout} = policy.get(name) ?? DEFAULT_STOP
    orphans.set(pgid, {name, instance, number, pgid, pids: [pid], stop_signal, kill_timeout})
  }

  const groups = scanProcessGroups()
  for (const entry of status?.processes ?? []) {
    if (entry.pid === null || entry.proc_start_time === null) continue
    const leader = readProcStat(entry.pid)
    // While any member of a group lives, the kernel does not hand its id out as a new pid, so a
    // group without its leader is still the app's own.
    const ours = leader ? leader.state !== 'Z' && leader.startTime === entry.proc_start_time : groups.has(entry.pid)
    if (ours && !exclude.includes(entry.pid))
      add({name: entry.name, instance: entry.instance, pgid: entry.pid, pid: entry.pid, number: entry.number})
  }

  for (const marked of markedProcesses(paths.home, exclude)) add({...marked, pgid: marked.pgrp})

  return [...orphans.values()]
}

/** Our processes whose environment marks them as apps of `home` (set at their exec, whatever happened since). */
function markedProcesses(home: string, exclude: readonly number[]) {
  const found: Array<{instance: number; name: string; pgrp: number; pid: number}> = []
  for (const stat of processesOfUser(process.geteuid?.() ?? 0)) {
    if (exclude.includes(stat.pid)) continue
    const environ = readEnviron(stat.pid)
    const name = environ?.get(APP_NAME_MARKER)
    if (name === undefined || environ!.get(APP_HOME_MARKER) !== home) continue
    found.push({name, instance: Number(environ!.get(APP_INSTANCE_MARKER)) || 0, pgrp: stat.pgrp, pid: stat.pid})
  }

  return found
}

/**
 * Stops orphans as `tspm stop` stops an app: its stop signal to the group (and SIGCONT, for one
 * stopped), its kill_timeout for the group to leave, then SIGKILL to what is left.
 */
export async function stopOrphans(orphans: Orphan[]): Promise<void> {
  if (orphans.length === 0) return
  for (const orphan of orphans) askGroupToStop(orphan.pgid, orphan.stop_signal)
  const deadline = Date.now() + Math.max(...orphans.map((orphan) => orphan.kill_timeout))
  let alive = orphans
  while (alive.length > 0 && Date.now() < deadline) {
    await delay(POLL_MS)
    const groups = scanProcessGroups()
    alive = alive.filter((orphan) => groups.has(orphan.pgid))
  }

  for (const orphan of alive) signalGroup(orphan.pgid, 'SIGKILL')
}
