import {existsSync, lstatSync, mkdirSync, readdirSync, statSync} from 'node:fs'
import {homedir} from 'node:os'
import {join, resolve} from 'node:path'

import {ExitCode, TspmError} from '../model/exit-codes.js'

/** Every file tspm keeps for one TSPM_HOME. Two homes never share a file. */
export interface HomePaths {
  home: string
  socket: string
  pidFile: string
  lockFile: string
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
    lockFile: join(home, 'tspm.lock'),
    supervisorLog: join(home, 'tspm.log'),
    statusFile: join(home, 'status.json'),
    dumpFile: join(home, 'dump.json'),
    dumpBackup: join(home, 'dump.json.bak'),
    logsDir: join(home, 'logs'),
    startupDir: join(home, 'startup'),
    startupFile: join(home, 'startup', 'startup.json'),
  }
}

/**
 * An app's log files: `web-out.log` and `web-err.log`, and for its instance N (from 1 on, as PM2
 * numbers them) `web-out-N.log`: one file per instance, so every line is the instance's own and
 * plain files stay plain. No other app's file can have such a name: none ends in `-out-N.log`.
 */
export function logFilePaths(logsDir: string, name: string, instance = 0): {out: string; err: string} {
  const suffix = instance === 0 ? '' : `-${instance}`
  return {out: join(logsDir, `${name}-out${suffix}.log`), err: join(logsDir, `${name}-err${suffix}.log`)}
}

/** What of a spec says where its logs go. */
export interface LogSettings {
  name: string
  out_file?: string
  error_file?: string
  log_file?: string
  merge_logs?: boolean
}

/**
 * Where instance `instance` of an app writes: its own files (logFilePaths), or the ones the spec
 * names (out_file, error_file, and log_file for both streams), numbered for instance N from 1 on
 * as PM2 numbers them (`web.log` -> `web-1.log`) unless merge_logs puts every instance in one.
 */
export function appLogPaths(
  spec: LogSettings,
  logsDir: string,
  instance = 0,
): {combined?: string; err: string; out: string} {
  const own = logFilePaths(logsDir, spec.name, spec.merge_logs ? 0 : instance)
  const numbered = (file: string) => {
    if (spec.merge_logs || instance === 0 || file === '/dev/null') return file
    const dot = file.lastIndexOf('.')
    return dot > file.lastIndexOf('/') + 1
      ? `${file.slice(0, dot)}-${instance}${file.slice(dot)}`
      : `${file}-${instance}`
  }

  return {
    out: spec.out_file ? numbered(spec.out_file) : own.out,
    err: spec.error_file ? numbered(spec.error_file) : own.err,
    ...(spec.log_file ? {combined: numbered(spec.log_file)} : {}),
  }
}

/**
 * The instances of an app that have log files, each with its files (appLogPaths): instance 0
 * always, and every N whose files exist, found among the files of logsDir (`web-out-N.log`) or,
 * for out_file and error_file, by trying 1, 2, ... until one has none. With merge_logs every
 * instance writes instance 0's files.
 */
export function appInstanceLogs(
  settings: LogSettings,
  logsDir: string,
): Array<{files: ReturnType<typeof appLogPaths>; instance: number}> {
  const {name} = settings
  const pattern = new RegExp(`^${name.replaceAll(/[.]/g, String.raw`\.`)}-(?:out|err)-(\\d+)\\.log$`)
  const numbers = new Set([0])
  for (const entry of settings.merge_logs || !existsSync(logsDir) ? [] : readdirSync(logsDir, {withFileTypes: true})) {
    const match = pattern.exec(entry.name)
    if (match && entry.isFile()) numbers.add(Number(match[1]))
  }

  for (let instance = 1; !settings.merge_logs && (settings.out_file || settings.error_file); instance++) {
    const files = appLogPaths(settings, logsDir, instance)
    if (!existsSync(files.out) && !existsSync(files.err)) break
    numbers.add(instance)
  }

  return [...numbers]
    .sort((a, b) => a - b)
    .map((instance) => ({instance, files: appLogPaths(settings, logsDir, instance)}))
}

/**
 * Creates TSPM_HOME (0700) and its logs/ folder when missing, after checking that what is there
 * is private to this user (checkHomeIsPrivate): an existing home is never widened or tightened
 * behind the user's back, a wrong one is refused.
 */
export function ensureHome(paths: HomePaths): void {
  checkHome(paths.home)
  mkdirSync(paths.home, {recursive: true, mode: 0o700})
  checkHomeIsPrivate(paths)
  try {
    mkdirSync(paths.logsDir, {mode: 0o700})
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }

  checkPrivateEntry(paths.logsDir, {uid: ownUid()}, 'folder')
}

/** A TSPM_HOME that exists but is not a folder cannot work: say so before anything acts on it. */
export function checkHome(home: string): void {
  let stat
  try {
    stat = statSync(home)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
    throw error
  }

  if (!stat.isDirectory()) {
    throw new TspmError(`TSPM_HOME=${home} is not a directory; point TSPM_HOME at a folder (or unset it for ~/.tspm)`, {
      exit: ExitCode.usage,
      code: 'bad_home',
    })
  }
}

function ownUid(): number {
  return process.geteuid?.() ?? 0
}

/** The user a home must belong to: this process's effective user, or the one a boot service runs as. */
export interface HomeOwner {
  uid: number
  name?: string
}

const describeOwner = (owner: HomeOwner) => (owner.name ? `${owner.name} (uid ${owner.uid})` : `you (uid ${owner.uid})`)

function unsafe(message: string): TspmError {
  return new TspmError(
    `${message}; tspm trusts only what its own user controls (as OpenSSH's StrictModes), and nothing was changed`,
    {
      exit: ExitCode.usage,
      code: 'unsafe_home',
    },
  )
}

/**
 * OpenSSH's StrictModes for TSPM_HOME: the home (when it exists) and every file and folder tspm
 * reads or writes in it must belong to `owner` and be writable by nobody else, and nothing in it
 * may be a symbolic link. Otherwise another local user could swap dump.json (and so what a
 * resurrect runs, as root too) or point a log at a file of their choice. Root is not exempt.
 */
export function checkHomeIsPrivate(paths: HomePaths, expected?: HomeOwner): void {
  const [first] = homeProblems(paths, expected)
  if (first) throw unsafe(`${first.problem}: ${first.fix}`)
}

/** One thing checkHomeIsPrivate refuses, and what to do about it. */
export interface HomeProblem {
  problem: string
  fix: string
}

/** Everything checkHomeIsPrivate refuses, in its order, each with its fix (`tspm doctor` lists them all). */
export function homeProblems(paths: HomePaths, expected?: HomeOwner): HomeProblem[] {
  const owner = expected ?? {uid: ownUid()}
  let stat
  try {
    stat = statSync(paths.home)
  } catch {
    return [] // nothing there yet: it is created 0700
  }

  if (stat.uid !== owner.uid) {
    return [
      {
        problem: `TSPM_HOME=${paths.home} belongs to uid ${stat.uid}, not to ${describeOwner(owner)}`,
        fix: `use a TSPM_HOME of ${owner.name ?? 'your'} own (unset TSPM_HOME for ~/.tspm), or chown it`,
      },
    ]
  }

  const problems: HomeProblem[] = []
  if ((stat.mode & 0o022) !== 0) {
    problems.push({
      problem: `TSPM_HOME=${paths.home} is writable by ${modeWriters(stat.mode)} (mode ${octal(stat.mode)})`,
      fix: `run chmod 700 ${paths.home}`,
    })
  }

  for (const [entry, kind] of [
    [paths.logsDir, 'folder'],
    [paths.startupDir, 'folder'],
    [paths.dumpFile, 'file'],
    [paths.dumpBackup, 'file'],
    [paths.statusFile, 'file'],
    [paths.startupFile, 'file'],
    [paths.supervisorLog, 'file'],
    [paths.pidFile, 'file'],
    [paths.lockFile, 'file'],
    [paths.socket, 'socket'],
  ] as const) {
    const problem = entryProblem(entry, owner, kind)
    if (problem) problems.push(problem)
  }

  return problems
}

function checkPrivateEntry(path: string, owner: HomeOwner, kind: 'file' | 'folder' | 'socket'): void {
  const problem = entryProblem(path, owner, kind)
  if (problem) throw unsafe(`${problem.problem}: ${problem.fix}`)
}

function entryProblem(path: string, owner: HomeOwner, kind: 'file' | 'folder' | 'socket'): HomeProblem | undefined {
  let stat
  try {
    stat = lstatSync(path)
  } catch {
    return undefined
  }

  if (stat.isSymbolicLink()) return {problem: `${path} is a symbolic link, which tspm never follows`, fix: 'remove it'}
  const right = kind === 'folder' ? stat.isDirectory() : kind === 'socket' ? stat.isSocket() : stat.isFile()
  if (!right) return {problem: `${path} is not a ${kind}`, fix: 'remove it'}
  if (stat.uid !== owner.uid)
    return {problem: `${path} belongs to uid ${stat.uid}, not to ${describeOwner(owner)}`, fix: 'remove it'}
  if ((stat.mode & 0o022) !== 0) {
    return {
      problem: `${path} is writable by ${modeWriters(stat.mode)} (mode ${octal(stat.mode)})`,
      fix: `run chmod go-w ${path}`,
    }
  }

  return undefined
}

function modeWriters(mode: number): string {
  return mode & 0o020 && mode & 0o002 ? 'its group and others' : mode & 0o020 ? 'its group' : 'others'
}

export function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8)}`
}
