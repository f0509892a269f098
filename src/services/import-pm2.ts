/**
 * `tspm import pm2`: a PM2 dump (or an ecosystem file) written out as a tspm.yaml that starts the
 * same apps the same way, with each app's own variables in an env_file (0600) beside it, never in
 * the yaml. PM2's dump holds the whole environment of the shell that ran `pm2 start` in every
 * app's env; only the app's own variables are kept (appVariables says how they are told apart).
 */
import {existsSync, readFileSync, statSync} from 'node:fs'
import {homedir} from 'node:os'
import {basename, dirname, join, relative, resolve} from 'node:path'

import type {Output} from '../cli/errors.js'
import type {ProcessSpec} from '../model/process-spec.js'

import {isConfigFile} from '../config/config-files.js'
import {formatDotenv} from '../config/dotenv.js'
import {ExitCode, TspmError} from '../model/exit-codes.js'
import {PROCESS_NAME_PATTERN} from '../model/names.js'
import {writeFileAtomic} from '../store/atomic-file.js'

export interface ImportInput {
  /** A PM2 dump (default $PM2_HOME/dump.pm2 or ~/.pm2/dump.pm2) or an ecosystem file. */
  file?: string
  /** The tspm.yaml to write (default ./tspm.yaml). */
  output: string
  /** Replace files that exist. */
  force: boolean
}

export interface ImportResult {
  config: string
  envFiles: string[]
  processes: string[]
  /** What could not be carried over, one line each. */
  notCarried: string[]
}

/** One app as the yaml will hold it, and its own variables (for its env_file). */
interface ImportedApp {
  entry: Record<string, unknown>
  env: Record<string, string>
}

/** Variables a login session sets, never an app's own. */
const SESSION_VARIABLES = new Set([
  '_',
  'COLORTERM',
  'DISPLAY',
  'EDITOR',
  'HISTFILE',
  'HOME',
  'HOSTNAME',
  'LANG',
  'LANGUAGE',
  'LOGNAME',
  'LS_COLORS',
  'MAIL',
  'OLDPWD',
  'PAGER',
  'PATH',
  'PS1',
  'PWD',
  'SHELL',
  'SHLVL',
  'STY',
  'TERM',
  'TMUX',
  'TMUX_PANE',
  'USER',
  'VISUAL',
  'WINDOW',
])
const SESSION_PREFIXES = ['DBUS_', 'GPG_', 'LC_', 'NVM_', 'SSH_', 'SUDO_', 'TERM_', 'VSCODE_', 'XDG_', 'npm_']
const DOTENV_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/
/** What PM2 itself puts into every app's env. */
const PM2_VARIABLES = new Set(['name', 'NODE_APP_INSTANCE', 'pm_id', 'status', 'unique_id'])

/**
 * The app's own variables of a PM2 env: not PM2's (PM2_*, unique_id, NODE_APP_INSTANCE, the copy of
 * an app's env PM2 keeps under its name), not a login session's (PATH, HOME, SHELL, SSH_*, LC_*,
 * ...), and not set to the same value in the environment that runs the import (the shell that ran
 * `pm2 start`, most often). The rest is returned in `left`, by name.
 */
function appVariables(
  env: Record<string, unknown>,
  appNames: ReadonlySet<string>,
  importer: NodeJS.ProcessEnv = process.env,
): {own: Record<string, string>; left: string[]} {
  const own: Record<string, string> = {}
  const left: string[] = []
  for (const [name, value] of Object.entries(env)) {
    if (PM2_VARIABLES.has(name) || name.startsWith('PM2_')) continue
    if (appNames.has(name) && (typeof value !== 'string' || value.startsWith('{'))) continue
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') continue
    const text = String(value)
    const session = SESSION_VARIABLES.has(name) || SESSION_PREFIXES.some((prefix) => name.startsWith(prefix))
    // A name a dotenv file cannot hold is left out too (and named).
    if (session || importer[name] === text || !DOTENV_NAME.test(name)) left.push(name)
    else own[name] = text
  }

  return {own, left}
}

/** A write that fails (no permission, a full disk) names the file, instead of an errno. */
function writeOrExplain(file: string, text: string, mode: number): void {
  try {
    writeFileAtomic(file, text, {mode})
  } catch (error) {
    const {code, message} = error as NodeJS.ErrnoException
    const why =
      code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ENOSPC' ? 'the disk is full' : message
    throw new TspmError(`cannot write ${file}: ${why}; give -o a path you can write`, {code: 'write_failed'})
  }
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

function defaultDump(): string {
  const home = process.env.PM2_HOME ?? join(homedir(), '.pm2')
  return join(home, 'dump.pm2')
}

export async function importPm2(input: ImportInput, output: Output): Promise<ImportResult> {
  const source = input.file ?? defaultDump()
  const configPath = resolve(input.output)
  const notCarried: string[] = []
  const apps = isConfigFile(source) ? await fromEcosystem(source, notCarried) : fromDump(source, configPath, notCarried)
  if (apps.length === 0) throw new TspmError(`${source} holds no app; nothing to import`, {code: 'empty'})

  const dir = dirname(configPath)
  if (!isFolder(dir)) {
    throw new TspmError(`${dir} is not a folder; create it, or give -o a path in an existing folder`, {
      exit: ExitCode.usage,
      code: 'usage',
    })
  }

  const envFiles = apps.flatMap(({entry, env}) =>
    Object.keys(env).length === 0 ? [] : [join(dir, `${String(entry.name)}.env`)],
  )
  const taken = [configPath, ...envFiles].filter((file) => existsSync(file))
  if (taken.length > 0 && !input.force) {
    throw new TspmError(
      `${taken.join(', ')} ${taken.length === 1 ? 'exists' : 'exist'}; nothing was written (--force replaces)`,
      {
        exit: ExitCode.usage,
        code: 'exists',
      },
    )
  }

  for (const {entry, env} of apps) {
    if (Object.keys(env).length === 0) continue
    const file = join(dir, `${String(entry.name)}.env`)
    writeOrExplain(file, formatDotenv(env, `${String(entry.name)}'s own variables, imported from ${source}`), 0o600)
    entry.env_file = `./${relative(dir, file)}`
  }

  const {stringify} = await import('yaml')
  const yaml =
    `# Imported from ${source} by \`tspm import pm2\`. Start it with \`tspm start -c ${basename(configPath)}\`.\n` +
    stringify({processes: apps.map(({entry}) => entry)}, {lineWidth: 0})
  writeOrExplain(configPath, yaml, 0o644)
  output.log(`wrote ${configPath}: ${apps.map(({entry}) => String(entry.name)).join(', ')}`)
  for (const file of envFiles) output.log(`wrote ${file} (0600): the app's own variables`)
  for (const line of notCarried) output.warn(line)
  return {config: configPath, envFiles, processes: apps.map(({entry}) => String(entry.name)), notCarried}
}

/** PM2's dump.pm2: one entry per process (each cluster instance its own), PM2's names flattened in. */
function fromDump(file: string, configPath: string, notCarried: string[]): ImportedApp[] {
  let entries: unknown
  try {
    entries = JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    const {code} = error as NodeJS.ErrnoException
    throw new TspmError(
      code === 'ENOENT'
        ? `no PM2 dump at ${file}; run \`pm2 save\` first, or give the dump (or an ecosystem file) as FILE`
        : `cannot read the PM2 dump ${file}: ${(error as Error).message}`,
      {exit: ExitCode.usage, code: 'bad_dump'},
    )
  }

  if (!Array.isArray(entries)) {
    throw new TspmError(`${file} is not a PM2 dump (expected a JSON list of apps)`, {
      exit: ExitCode.usage,
      code: 'bad_dump',
    })
  }

  const byName = new Map<string, Array<Record<string, unknown>>>()
  for (const item of entries as Array<Record<string, unknown>>) {
    if (typeof item?.name !== 'string') continue
    byName.set(item.name, [...(byName.get(item.name) ?? []), item])
  }

  const names = new Set(byName.keys())
  const outDir = dirname(configPath)
  const leftOut = new Map<string, {apps: string[]; names: string[]}>()
  const imported = [...byName].map(([name, copies]) => {
    const app = copies[0]!
    const tspmName = PROCESS_NAME_PATTERN.test(name)
      ? name
      : name.replaceAll(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-._]+/, '')
    if (tspmName !== name)
      notCarried.push(`${name}: renamed ${tspmName} (a tspm name is letters, digits, ".", "_" or "-")`)
    const entry = dumpEntry(tspmName, copies, outDir)
    carrySettings(app, entry)
    if (String(app.exec_mode ?? '').startsWith('cluster')) {
      // PM2's cluster mode shares the port the app listens on; tspm's `listen:` does that for any
      // language, and a Node app's own listen(PORT) is served from it as it is.
      const port = Number((app.env as Record<string, unknown> | undefined)?.PORT)
      if (Number.isInteger(port) && port > 0 && port < 65_536) entry.listen = port
      else {
        notCarried.push(
          `${name}: PM2's cluster mode shared the port the app listens on, and its env has no PORT to tell which; add \`listen: PORT\` to it (README: "Instances")`,
        )
      }
    }

    noteUnsupported(name, app, notCarried)
    const {own, left} = appVariables((app.env ?? {}) as Record<string, unknown>, names)
    const key = left.join(' ')
    if (left.length > 0) leftOut.set(key, {names: left, apps: [...(leftOut.get(key)?.apps ?? []), tspmName]})
    return {entry, env: own}
  })
  // Apps started from one shell left out the same variables: one line for them all.
  for (const {names: left, apps} of leftOut.values()) {
    notCarried.push(
      `${apps.join(', ')}: left out ${left.length} variables of the shell that ran pm2 start (${left.slice(0, 12).join(', ')}${left.length > 12 ? ', ...' : ''}); add to ${apps.length === 1 ? `${apps[0]}.env` : "an app's <name>.env"} what it needs`,
    )
  }

  return imported
}

/** What the yaml says of an app of the dump: how it runs, and how many copies. */
function dumpEntry(name: string, copies: Array<Record<string, unknown>>, outDir: string): Record<string, unknown> {
  const app = copies[0]!
  const entry: Record<string, unknown> = {name}
  const script = String(app.pm_exec_path ?? app.script ?? '')
  const cwd = String(app.pm_cwd ?? app.cwd ?? outDir)
  entry.script = script
  entry.cwd = cwd
  const args = Array.isArray(app.args) ? app.args.map(String) : typeof app.args === 'string' ? [app.args] : []
  if (args.length > 0) entry.args = args
  const interpreter = typeof app.exec_interpreter === 'string' ? app.exec_interpreter : undefined
  if (interpreter && !(interpreter === 'node' && /\.[cm]?js$/.test(script))) entry.interpreter = interpreter
  const nodeArgs = Array.isArray(app.node_args) ? app.node_args.map(String) : []
  if (nodeArgs.length > 0) entry.interpreter_args = nodeArgs
  if (copies.length > 1) entry.instances = copies.length
  if (copies.every((copy) => copy.status === 'stopped')) entry.autostart = false
  return entry
}

/** PM2 settings tspm has under the same name, when they differ from PM2's defaults. */
function carrySettings(app: Record<string, unknown>, entry: Record<string, unknown>): void {
  if (app.autorestart === false) entry.autorestart = false
  for (const key of [
    'max_restarts',
    'min_uptime',
    'kill_timeout',
    'restart_delay',
    'exp_backoff_restart_delay',
    'listen_timeout',
    'stop_exit_codes',
    'increment_var',
  ]) {
    if (app[key] !== undefined && app[key] !== null) entry[key] = app[key]
  }

  if (app.wait_ready === true) entry.wait_ready = true
  if (typeof app.log_date_format === 'string') entry.log_date_format = app.log_date_format
  if (app.merge_logs === true) entry.merge_logs = true
  // Log paths of the app's own (PM2's are in its home's logs/; tspm keeps its own in $TSPM_HOME/logs).
  for (const [from, to] of [
    ['pm_out_log_path', 'out_file'],
    ['pm_err_log_path', 'error_file'],
    ['pm_log_path', 'log_file'],
  ] as const) {
    const path = app[from]
    if (typeof path === 'string' && path !== '' && !isPm2DefaultLog(path, String(app.name))) entry[to] = path
  }
}

/**
 * PM2's own place for an app's logs, `<PM2_HOME>/logs/<name>-out.log` (or `-error`, `-N` per
 * instance): told by the name, so a dump copied elsewhere is read the same. tspm keeps its own.
 */
function isPm2DefaultLog(path: string, name: string): boolean {
  const escaped = name.replaceAll(/[.*+?^${}()|[\]\\]/g, String.raw`\$&`)
  return (
    basename(dirname(path)) === 'logs' && new RegExp(`^${escaped}-(?:out|error)(?:-\\d+)?\\.log$`).test(basename(path))
  )
}

/** PM2 settings tspm does not carry over yet, one line each. */
function noteUnsupported(name: string, app: Record<string, unknown>, notCarried: string[]): void {
  for (const key of ['max_memory_restart', 'cron_restart']) {
    if (app[key] !== undefined && app[key] !== null)
      notCarried.push(`${name}: ${key} is not supported by tspm yet; left out`)
  }

  if (app.watch === true || Array.isArray(app.watch))
    notCarried.push(`${name}: watch is not supported by tspm yet; left out`)
  if (app.time === true)
    notCarried.push(`${name}: time (timestamps in the logs) is not supported by tspm yet; left out`)
}

/** An ecosystem file, read as `tspm start` reads it; its env values go to the env_file all the same. */
async function fromEcosystem(file: string, notCarried: string[]): Promise<ImportedApp[]> {
  const {loadConfigFile} = await import('../config/load-config.js')
  const specs = await loadConfigFile(file, {warn: (message) => notCarried.push(message)})
  return specs.map((spec) => ({entry: entryOf(spec), env: spec.env}))
}

/** A resolved spec as a yaml entry: what differs from the defaults, without env (it goes to the env_file). */
function entryOf(spec: ProcessSpec): Record<string, unknown> {
  const entry: Record<string, unknown> = {name: spec.name, script: spec.script, cwd: spec.cwd}
  if (spec.args.length > 0) entry.args = spec.args
  if (spec.interpreter && spec.interpreter !== process.execPath) entry.interpreter = spec.interpreter
  if (spec.interpreter_args.length > 0) entry.interpreter_args = spec.interpreter_args
  if (spec.instances !== 1) entry.instances = spec.instances
  if (!spec.autostart) entry.autostart = false
  if (!spec.autorestart) entry.autorestart = false
  if (spec.env_file) entry.env_file = spec.env_file
  if (spec.increment_var) entry.increment_var = spec.increment_var
  if (spec.ready?.kind === 'notify') {
    entry.wait_ready = true
    entry.listen_timeout = spec.ready.timeout
  }

  return entry
}
