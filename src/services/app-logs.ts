/**
 * Which log files the names given to `tspm logs` and `tspm flush` stand for: an app (all its
 * instances' files), one instance (`web:2`), or, with no name (or `all`), every app. Apps are
 * known from the running supervisor, else from the saved list, else from the files in
 * $TSPM_HOME/logs; an app known to none of them still has its logs when its files are there
 * (a deleted app's logs stay).
 */
import {existsSync, readdirSync} from 'node:fs'

import {ExitCode, TspmError} from '../model/exit-codes.js'
import {PROCESS_NAME_PATTERN, PROCESS_NAME_RULE, RESERVED_PROCESS_NAME} from '../model/names.js'
import {savedLogSettings} from '../store/dump.js'
import {appInstanceLogs, appLogPaths, type HomePaths, type LogSettings} from '../store/home.js'

/** The log files of one app, or of the instances asked for. */
export interface AppLogs {
  settings: LogSettings
  /** Each instance with its files (`combined`: log_file, both streams). */
  instances: Array<{files: {combined?: string; err: string; out: string}; instance: number}>
  /** An instance was named (`web:2`), so it is named in what is shown. */
  namedInstance: boolean
}

/** The apps and instances `names` stand for; unknown names are an error that names them all. */
export async function selectAppLogs(paths: HomePaths, names: string[]): Promise<AppLogs[]> {
  const known = await knownApps(paths)
  const byName = new Map(known.map((settings) => [settings.name, settings]))
  const every = names.length === 0 || names.includes(RESERVED_PROCESS_NAME)
  const targets: Target[] = every
    ? known.map((settings) => ({target: settings.name, name: settings.name}))
    : names.map(splitTarget)
  const selected: AppLogs[] = []
  const unknown: string[] = []
  for (const {target, name, instance} of targets) {
    const settings = byName.get(name) ?? {name}
    const instances =
      instance === undefined
        ? appInstanceLogs(settings, paths.logsDir)
        : [{instance, files: appLogPaths(settings, paths.logsDir, instance)}]
    const written = instances.some(({files}) => [files.out, files.err].some((file) => existsSync(file)))
    // A known app that has written nothing yet is no mistake; an unknown name, or an instance without files, is.
    if (!written && (instance !== undefined || !byName.has(name))) {
      unknown.push(target)
      continue
    }

    const same = selected.find((entry) => entry.settings.name === name)
    if (!same) selected.push({settings, instances, namedInstance: instance !== undefined})
    else if (same.namedInstance) {
      // `web:1 web:2`: one app, those instances.
      for (const entry of instances)
        if (!same.instances.some((had) => had.instance === entry.instance)) same.instances.push(entry)
      same.instances.sort((a, b) => a.instance - b.instance)
      if (instance === undefined) same.namedInstance = false
    }
  }

  if (unknown.length > 0) {
    const knownNames = [...new Set([...appsWithLogFiles(paths.logsDir), ...known.map((settings) => settings.name)])]
    throw new TspmError(
      `no logs for ${unknown.map((target) => `"${target}"`).join(', ')}: no such process${unknown.some((target) => target.includes(':')) ? ' or instance' : ''}, and no log files for ${unknown.length === 1 ? 'it' : 'them'} in ${paths.logsDir}; ` +
        (knownNames.length > 0
          ? `known: ${knownNames.join(', ')} (see \`tspm list\`)`
          : 'no app has logs yet (start one with `tspm start`)'),
      {code: 'unknown_process'},
    )
  }

  return selected
}

interface Target {
  target: string
  name: string
  instance?: number
}

/** `web` or `web:2`, checked: the app's name and the one instance asked for, if any. */
function splitTarget(target: string): Target {
  const match = /^(.+):(\d+)$/.exec(target)
  const name = match ? match[1]! : target
  if (!PROCESS_NAME_PATTERN.test(name)) {
    throw new TspmError(`"${target}" is not a process name (${PROCESS_NAME_RULE}, or name:N for one instance)`, {
      exit: ExitCode.usage,
      code: 'usage',
    })
  }

  return match ? {target, name, instance: Number(match[2])} : {target, name}
}

/**
 * Every app and where its logs go (out_file, error_file, merge_logs): from the running supervisor
 * (asked once), else from the saved list, else the apps that have files in $TSPM_HOME/logs.
 */
async function knownApps(paths: HomePaths): Promise<LogSettings[]> {
  // No socket, no supervisor: node:net is not even loaded (logs of a large app answer in a few ms).
  if (existsSync(paths.socket)) {
    try {
      const {SupervisorClient} = await import('../client/supervisor-client.js')
      return (await new SupervisorClient(paths).saved()).map(({spec}) => spec)
    } catch {
      // None that answers: the files are read directly anyway.
    }
  }

  return savedLogSettings(paths) ?? appsWithLogFiles(paths.logsDir).map((name) => ({name}))
}

/** The apps that have logs of their own in logsDir: `NAME-out.log`, `NAME-err-2.log`... */
function appsWithLogFiles(logsDir: string): string[] {
  if (!existsSync(logsDir)) return []
  const names = new Set<string>()
  for (const entry of readdirSync(logsDir, {withFileTypes: true})) {
    const match = /^(.+?)-(?:out|err)(?:-\d+)?\.log$/.exec(entry.name)
    if (match && entry.isFile() && PROCESS_NAME_PATTERN.test(match[1]!)) names.add(match[1]!)
  }

  return [...names].sort()
}
