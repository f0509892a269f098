import {closeSync, openSync, readFileSync, rmSync, writeSync} from 'node:fs'

import {ExitCode, TspmError} from '../model/exit-codes.js'
import {isSameProcess, readProcStat} from '../os/proc.js'

export class SupervisorAlreadyRunningError extends TspmError {
  constructor(
    readonly pid: number,
    home: string,
  ) {
    super(`a supervisor already runs for TSPM_HOME=${home} (pid ${pid}); use it, or stop it with \`tspm kill\``, {
      exit: ExitCode.alreadyRunning,
      code: 'already_running',
    })
  }
}

/**
 * The pid file doubles as the lock that keeps one supervisor per TSPM_HOME: it is created
 * exclusively and holds "<pid> <proc start time>", so a file left by a dead supervisor (or one
 * whose pid was reused since) is recognised as stale and replaced.
 */
export function acquirePidLock(pidFile: string, home: string): () => void {
  const ownStartTime = readProcStat(process.pid)?.startTime ?? 0
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fd = openSync(pidFile, 'wx', 0o600)
      writeSync(fd, `${process.pid} ${ownStartTime}\n`)
      closeSync(fd)
      return () => releasePidLock(pidFile)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }

    const holder = readPidLock(pidFile)
    if (holder && isSameProcess(holder.pid, holder.startTime)) throw new SupervisorAlreadyRunningError(holder.pid, home)
    rmSync(pidFile, {force: true})
  }

  throw new Error(`cannot take the lock ${pidFile}: it keeps changing; is another supervisor starting?`)
}

export function readPidLock(pidFile: string): undefined | {pid: number; startTime: number} {
  try {
    const [pid, startTime] = readFileSync(pidFile, 'utf8').trim().split(/\s+/).map(Number)
    return Number.isInteger(pid) && pid > 0 ? {pid, startTime: startTime || 0} : undefined
  } catch {
    return undefined
  }
}

function releasePidLock(pidFile: string): void {
  const holder = readPidLock(pidFile)
  if (holder?.pid === process.pid) rmSync(pidFile, {force: true})
}
