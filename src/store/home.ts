import {chmodSync, mkdirSync, statSync} from 'node:fs'
import {homedir} from 'node:os'
import {join, resolve} from 'node:path'

import {ExitCode, TspmError} from '../model/exit-codes.js'

/** Every file tspm keeps for one TSPM_HOME. Two homes never share a file. */
export interface HomePaths {
  home: string
  socket: string
  pidFile: string
  supervisorLog: string
  statusFile: string
  dumpFile: string
  dumpBackup: string
  logsDir: string
  startupDir: string
  startupFile: string
}

export function resolveHome(env: NodeJS.ProcessEnv = process.env, userHome: string = homedir()): string {
  const configured = env.TSPM_HOME
  return configured ? resolve(configured) : join(userHome, '.tspm')
}

export function homePaths(home: string = resolveHome()): HomePaths {
  return {
    home,
    socket: join(home, 'tspm.sock'),
    pidFile: join(home, 'tspm.pid'),
    supervisorLog: join(home, 'tspm.log'),
    statusFile: join(home, 'status.json'),
    dumpFile: join(home, 'dump.json'),
    dumpBackup: join(home, 'dump.json.bak'),
    logsDir: join(home, 'logs'),
    startupDir: join(home, 'startup'),
    startupFile: join(home, 'startup', 'startup.json'),
  }
}

export function logFilePaths(logsDir: string, name: string): {out: string; err: string} {
  return {out: join(logsDir, `${name}-out.log`), err: join(logsDir, `${name}-err.log`)}
}

/** Creates TSPM_HOME private to its owner (0700), and tightens it if it was created wider. */
export function ensureHome(paths: HomePaths): void {
  mkdirSync(paths.home, {recursive: true, mode: 0o700})
  const stat = statSync(paths.home)
  if (!stat.isDirectory()) throw new Error(`TSPM_HOME=${paths.home} is not a directory`)
  if ((stat.mode & 0o777) !== 0o700 && stat.uid === process.getuid?.()) chmodSync(paths.home, 0o700)
  mkdirSync(paths.logsDir, {recursive: true, mode: 0o700})
}

/** A TSPM_HOME that exists but is not a folder cannot work: say so before anything acts on it. */
export function checkHome(home: string): void {
  try {
    if (!statSync(home).isDirectory()) {
      throw new TspmError(
        `TSPM_HOME=${home} is not a directory; point TSPM_HOME at a folder (or unset it for ~/.tspm)`,
        {
          exit: ExitCode.usage,
          code: 'bad_home',
        },
      )
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
}
