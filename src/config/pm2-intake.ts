/**
 * A PM2 ecosystem entry as it is, taken in before validation: PM2's other names for tspm's keys,
 * `env_<name>` selected with `--env NAME`, and the PM2 keys that tspm has no meaning for (named in
 * one warning and left out, so the file starts; an error with --strict). A misspelt tspm key is
 * none of these and stays an error.
 */
import {isMap} from './units.js'

/** PM2 keys that mean nothing to tspm (PM2's own monitoring, deployment, per-user switches...). */
const PM2_WITHOUT_MEANING = new Set([
  'append_env_to_name',
  'automation',
  'deep_monitoring',
  'disable_logs',
  'disable_source_map_support',
  'disable_trace',
  'event_loop_inspector',
  'exec_mode',
  'filter_env',
  'force',
  'gid',
  'install_url',
  'instance_var',
  'io',
  'kill_retry_time',
  'log_type',
  'name_prefix',
  'namespace',
  'pid_file',
  'pmx',
  'post_update',
  'shutdown_with_message',
  'source_map_support',
  'trace',
  'treekill',
  'uid',
  'username',
  'v8',
  'vizion',
  'watch_options',
  'windowsHide',
  'write',
])

/** PM2's other names for tspm's keys. */
const PM2_ALIASES: Record<string, string> = {
  combine_logs: 'merge_logs',
  log: 'log_file',
  exec_interpreter: 'interpreter',
  node_args: 'interpreter_args',
  interpreterArgs: 'interpreter_args',
}

/** PM2's top-level keys beside `apps` that tspm leaves alone. */
export const PM2_TOP_LEVEL_KEYS = new Set(['deploy'])

/** PM2's `env_<name>` sets; tspm's own env_file is none of them. */
const ENV_SET_PATTERN = /^env_(?!file$)(\S+)$/

export interface Intake {
  /** The entry with PM2's names made tspm's, its env_<name> sets and ignored keys taken out. */
  entry: unknown
  /** Ignored keys as written, for the warning (or the --strict error). */
  ignored: string[]
  /** The env_<name> sets the entry has, by name. */
  envSets: Map<string, unknown>
  /** A key given under both of PM2's names, or both PM2's name and tspm's. */
  doubled: Array<{key: string; message: string}>
}

export function takeIn(raw: unknown): Intake {
  const intake: Intake = {entry: raw, ignored: [], envSets: new Map(), doubled: []}
  if (!isMap(raw)) return intake
  const entry: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(raw)) {
    const set = ENV_SET_PATTERN.exec(key)
    if (set) {
      intake.envSets.set(set[1]!, value)
    } else if (PM2_WITHOUT_MEANING.has(key)) {
      intake.ignored.push(key)
    } else if (key in PM2_ALIASES) {
      const name = PM2_ALIASES[key]!
      if (name in raw || name in entry) {
        intake.doubled.push({key, message: `${key} is PM2's name for ${name}; give one of them`})
      } else entry[name] = value
    } else if (key !== 'port') {
      entry[key] = value
    }
  }

  // PM2's `port` is a shortcut for env.PORT.
  const {port} = raw as {port?: unknown}
  if (port !== undefined) {
    const env = entry.env ?? {}
    if (typeof env === 'object' && env !== null && !Array.isArray(env)) entry.env = {...env, PORT: port}
  }

  intake.entry = entry
  return intake
}

/** The one warning for every ignored key of a file: `vizion, pmx (web)`. */
export function ignoredKeysWarning(file: string, ignored: Array<{key: string; name: string}>): string {
  const byKey = new Map<string, string[]>()
  for (const item of ignored) byKey.set(item.key, [...(byKey.get(item.key) ?? []), item.name])
  const list = [...byKey].map(([key, names]) => `${key} (${names.join(', ')})`).join(', ')
  return `${file}: ignored PM2 keys that mean nothing to tspm: ${list} (--strict makes this an error)`
}
