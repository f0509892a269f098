import {readdirSync, readFileSync, statSync} from 'node:fs'

/** What /proc/<pid>/stat tells about one process (Linux). */
export interface ProcStat {
  pid: number
  state: string
  ppid: number
  pgrp: number
  session: number
  /** utime + stime, in clock ticks. */
  cpuTicks: number
  /** cutime + cstime: the CPU of its children that it has waited for, in clock ticks. */
  childCpuTicks: number
  /** Start time after boot, in clock ticks: with the pid, it names one process for good. */
  startTime: number
  rssPages: number
}

// Linux reports both in these units on every platform Node supports; /proc gives no other way.
export const CLOCK_TICKS_PER_SECOND = 100
export const PAGE_SIZE = 4096

export function readProcStat(pid: number): ProcStat | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }

  // The command name is in parentheses and may itself contain spaces or parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  // fields[0] is field 3 of proc(5).
  const field = (n: number) => Number(fields[n - 3])
  return {
    pid,
    state: fields[0],
    ppid: field(4),
    pgrp: field(5),
    session: field(6),
    cpuTicks: field(14) + field(15),
    childCpuTicks: field(16) + field(17),
    startTime: field(22),
    rssPages: field(24),
  }
}

/** True while `pid` is a live process (not a zombie waiting to be reaped). */
export function isRunning(pid: number): boolean {
  const stat = readProcStat(pid)
  return stat !== undefined && stat.state !== 'Z'
}

/** True when `pid` runs and is the same process that started at `startTime` (not a reused pid). */
export function isSameProcess(pid: number, startTime: number): boolean {
  const stat = readProcStat(pid)
  return stat !== undefined && stat.state !== 'Z' && stat.startTime === startTime
}

/** Live (non-zombie) processes by process group id, from one pass over /proc. */
export function scanProcessGroups(): Map<number, ProcStat[]> {
  const groups = new Map<number, ProcStat[]>()
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry)
    if (!Number.isInteger(pid)) continue
    const stat = readProcStat(pid)
    if (!stat || stat.state === 'Z') continue
    const members = groups.get(stat.pgrp)
    if (members) members.push(stat)
    else groups.set(stat.pgrp, [stat])
  }

  return groups
}

/** Live (non-zombie) processes whose process group is `pgid`. */
export function processGroupMembers(pgid: number): ProcStat[] {
  return scanProcessGroups().get(pgid) ?? []
}

/** Sends a signal to a whole process group; false when the group no longer exists. */
export function signalGroup(pgid: number, signal: 0 | NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal)
    return true
  } catch {
    return false
  }
}

/**
 * Asks a process group to stop: its stop signal, then SIGCONT, as systemd does, since a stopped
 * process (held by the launch throttle, or by a user) acts on the signal only once continued.
 */
export function askGroupToStop(pgid: number, signal: NodeJS.Signals): boolean {
  const exists = signalGroup(pgid, signal)
  if (exists && signal !== 'SIGKILL') signalGroup(pgid, 'SIGCONT')
  return exists
}

/** True while some process has this pid (EPERM: it exists, but belongs to another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The environment a process started with (its exec), or undefined when it is gone or not ours to read. */
export function readEnviron(pid: number): Map<string, string> | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/environ`, 'utf8')
  } catch {
    return undefined
  }

  const environ = new Map<string, string>()
  for (const entry of text.split('\0')) {
    const equals = entry.indexOf('=')
    if (equals > 0) environ.set(entry.slice(0, equals), entry.slice(equals + 1))
  }

  return environ
}

/** Live processes of one user (by the owner of /proc/<pid>, its effective uid), from one pass over /proc. */
export function processesOfUser(uid: number): ProcStat[] {
  const found: ProcStat[] = []
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry)
    if (!Number.isInteger(pid)) continue
    try {
      if (statSync(`/proc/${pid}`).uid !== uid) continue
    } catch {
      continue
    }

    const stat = readProcStat(pid)
    if (stat && stat.state !== 'Z') found.push(stat)
  }

  return found
}
