/**
 * One supervisor per TSPM_HOME. The lock is tspm.lock, created exclusively and holding the
 * holder's pid and /proc start time, so a lock left by a dead supervisor (or one whose pid was
 * reused since) is recognised as stale and replaced. tspm.pid holds the bare pid, for people and
 * scripts (`kill $(cat ~/.tspm/tspm.pid)`).
 */
import {closeSync, openSync, readFileSync, rmSync, writeSync} from 'node:fs'

import type {HomePaths} from './home.js'

import {ExitCode, TspmError} from '../model/exit-codes.js'
import {isSameProcess, readProcStat} from '../os/proc.js'
import {writeFileAtomic} from './atomic-file.js'

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

export interface LockHolder {
  pid: number
  startTime: number
}

/** Takes the lock of this home or throws SupervisorAlreadyRunningError; returns the release. */
export function acquireSupervisorLock(paths: HomePaths): () => void {
  const own: LockHolder = {pid: process.pid, startTime: readProcStat(process.pid)?.startTime ?? 0}
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fd = openSync(paths.lockFile, 'wx', 0o600)
      writeSync(fd, `${own.pid} ${own.startTime}\n`)
      closeSync(fd)
      writeFileAtomic(paths.pidFile, `${own.pid}\n`)
      return () => releaseSupervisorLock(paths)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }

    const holder = readLockHolder(paths)
    if (holder && isSameProcess(holder.pid, holder.startTime))
      throw new SupervisorAlreadyRunningError(holder.pid, paths.home)
    rmSync(paths.lockFile, {force: true})
  }

  throw new Error(`cannot take the lock ${paths.lockFile}: it keeps changing; is another supervisor starting?`)
}

/** Who holds the lock, as written; undefined when nobody does (or the file is not a lock). */
export function readLockHolder(paths: HomePaths): LockHolder | undefined {
  try {
    const [pid, startTime] = readFileSync(paths.lockFile, 'utf8').trim().split(/\s+/).map(Number)
    return Number.isInteger(pid) && pid > 0 ? {pid, startTime: startTime || 0} : undefined
  } catch {
    return undefined
  }
}

/** The supervisor of this home that is alive now, found by its lock alone (no socket needed). */
export function liveSupervisor(paths: HomePaths): LockHolder | undefined {
  const holder = readLockHolder(paths)
  return holder && isSameProcess(holder.pid, holder.startTime) ? holder : undefined
}

function releaseSupervisorLock(paths: HomePaths): void {
  if (readLockHolder(paths)?.pid !== process.pid) return
  rmSync(paths.pidFile, {force: true})
  rmSync(paths.lockFile, {force: true})
}
