import {execFile} from 'node:child_process'
import {delimiter, dirname, isAbsolute, join, resolve} from 'node:path'

import {ExitCode, TspmError} from '../model/exit-codes.js'
import {PROCESS_DEFAULTS} from '../model/process-spec.js'
import {resurrectCommand, TSPM_ENTRY} from '../model/supervisor-runtime.js'
import {currentUserName, lookupUser} from '../os/passwd.js'
import {writeFileAtomic} from '../store/atomic-file.js'
import {loadDump} from '../store/dump.js'
import {checkHome, checkHomeIsPrivate, homePaths, type HomePaths} from '../store/home.js'
import {createHandOverStep} from './hand-over.js'
import {checkPrintable, checkUserName, hasControlCharacter} from './names.js'
import {type CommandResult, type ExecOptions, STARTUP_API_VERSION, type StartupContext} from './platform.js'
import {loadTemplateRenderer} from './template.js'
import {createToolkit} from './toolkit.js'

/** Open files for the supervisor and its apps, under every init system (StartupContext.openFilesLimit). */
const OPEN_FILES_LIMIT = 65_536

/** Always on the baked-in PATH, after the caller's entries, so the usual tools are found. */
const STANDARD_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']
const EXEC_TIMEOUT_MS = 60_000

export interface ContextRequest {
  /** `-u/--user` as given. */
  userFlag?: string
  serviceName: string
  force: boolean
  tspmVersion: string
  env?: NodeJS.ProcessEnv
}

export interface ResolvedContext {
  context: StartupContext
  paths: HomePaths
  /** TSPM_HOME came from the environment (so a sudo command must carry it). */
  tspmHomeFromEnv: boolean
  /** The saved list cannot be read: the service's resurrect would fail on it (unstartup can ignore it). */
  dumpProblem?: TspmError
  /** What the platform's steps asked to show the user once they are done (StartupContext.warn). */
  warnings: string[]
}

/**
 * Everything a platform needs, resolved once: the target user (default SUDO_USER under sudo,
 * else the caller) from the passwd database, their TSPM_HOME (never root's ~/.tspm for someone
 * else), the absolute runtime and tspm entry, the PATH to bake in, and the saved kill_timeouts.
 */
export async function resolveContext(request: ContextRequest): Promise<ResolvedContext> {
  const env = request.env ?? process.env
  const isRoot = process.getuid?.() === 0
  const fromSudo = request.userFlag === undefined && isRoot && Boolean(env.SUDO_USER)
  const userName = request.userFlag ?? (fromSudo ? env.SUDO_USER! : await currentUserName())
  checkUserName(
    userName,
    request.userFlag === undefined
      ? fromSudo
        ? 'from SUDO_USER; name the user with -u'
        : 'the current user; name the user with -u'
      : '-u/--user',
  )
  const user = await lookupUser(userName)
  checkPrintable(user.home, `the home folder of ${user.name}`)
  if (!isAbsolute(user.home)) {
    throw new TspmError(
      `the home folder of ${user.name} in the passwd database is ${JSON.stringify(user.home)}, not an absolute path; set TSPM_HOME`,
      {exit: ExitCode.usage, code: 'bad_home'},
    )
  }

  const tspmHomeFromEnv = Boolean(env.TSPM_HOME)
  const tspmHome = checkPrintable(tspmHomeFromEnv ? resolve(env.TSPM_HOME!) : join(user.home, '.tspm'), 'TSPM_HOME')
  const paths = homePaths(tspmHome)
  // Root acts on this home for its user: it must be theirs, and private, as for any command.
  checkHome(tspmHome)
  checkHomeIsPrivate(paths, {uid: user.uid, name: user.name})

  const runtime = checkPrintable(process.execPath, 'the runtime path')
  const tspmEntry = checkPrintable(TSPM_ENTRY, 'the tspm path')
  const path = bakedPath(runtime, env.PATH ?? '')
  let savedKillTimeouts: number[] = []
  let dumpProblem: TspmError | undefined
  try {
    savedKillTimeouts = (await loadDump(paths)).processes.map(({spec}) => spec.kill_timeout)
  } catch (error) {
    if (!(error instanceof TspmError)) throw error
    dumpProblem = error
  }

  const maxKillTimeoutMs = Math.max(PROCESS_DEFAULTS.kill_timeout, ...savedKillTimeouts)
  const renderTemplate = await loadTemplateRenderer()

  const writeFile = (file: string, text: string, mode: number) => writeFileAtomic(file, text, {mode, durable: true})
  const warnings: string[] = []
  const context: StartupContext = {
    apiVersion: STARTUP_API_VERSION,
    serviceName: request.serviceName,
    user,
    tspmHome,
    runtime,
    tspmEntry,
    command: resurrectCommand(runtime, tspmEntry),
    path,
    tspmVersion: request.tspmVersion,
    maxKillTimeoutMs,
    openFilesLimit: OPEN_FILES_LIMIT,
    isRoot,
    force: request.force,
    renderTemplate,
    exec: runProgram,
    warn: (message) => warnings.push(message),
    writeFile,
    handOverStep: () => createHandOverStep({paths, user, runtime, tspmEntry, path, maxKillTimeoutMs}),
    toolkit: createToolkit({
      tspmHome,
      tspmHomeFromEnv,
      runtime,
      tspmEntry,
      force: request.force,
      exec: runProgram,
      writeFile,
    }),
  }
  return {context, paths, tspmHomeFromEnv, dumpProblem, warnings}
}

/**
 * The runtime's folder first (so scripts with `#!/usr/bin/env node` and `interpreter: node` find
 * the same Node), then the caller's absolute PATH entries, then the standard folders; no
 * duplicates, and never a relative entry (it would depend on the service's working folder).
 */
export function bakedPath(runtime: string, callerPath: string): string {
  const entries = [dirname(runtime), ...callerPath.split(delimiter), ...STANDARD_PATH]
  const kept: string[] = []
  for (const entry of entries) {
    if (!isAbsolute(entry) || hasControlCharacter(entry) || kept.includes(entry)) continue
    kept.push(entry)
  }

  return kept.join(delimiter)
}

/** StartupContext.exec: argv, no shell; a missing program is exit 127, like a shell says. */
function runProgram(command: string, args: string[], options: ExecOptions = {}): Promise<CommandResult> {
  const timeoutMs = options.timeoutMs ?? EXEC_TIMEOUT_MS
  return new Promise((resolvePromise, reject) => {
    execFile(
      command,
      args,
      // LC_ALL=C: the output of systemctl and friends is parsed, so it must not be translated.
      {timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, env: {...process.env, ...options.env, LC_ALL: 'C'}},
      (error, stdout, stderr) => {
        if (!error) return resolvePromise({code: 0, stdout, stderr})
        const {code, killed, signal} = error as NodeJS.ErrnoException & {killed?: boolean; signal?: string}
        if (code === 'ENOENT') return resolvePromise({code: 127, stdout: '', stderr: `${command}: not found`})
        if (killed && signal)
          return reject(new Error(`${[command, ...args].join(' ')} did not finish within ${timeoutMs / 1000} s`))
        resolvePromise({code: typeof code === 'number' ? code : 1, stdout, stderr: stderr || error.message})
      },
    )
  })
}
