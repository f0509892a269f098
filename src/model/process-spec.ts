/**
 * What the user configured for one process, resolved to absolute paths and with every default
 * applied: the one shape that config loading produces, the supervisor runs, and dump.json stores.
 * It never holds the caller's environment or the contents of env_file.
 *
 * This zod schema is the single definition: the type, the defaults and the dump's validation are
 * derived from it. The supervisor imports this module as a type only, so zod stays out of it.
 */
import {isAbsolute} from 'node:path'

import * as z from '../vendor/zod.js'
import {PROCESS_NAME_PATTERN, PROCESS_NAME_RULE} from './names.js'

const milliseconds = z.int().check(z.nonnegative())
const absolutePath = z.string().check(z.refine((value) => isAbsolute(value), 'expected an absolute path'))
export const signalNameSchema = z.custom<NodeJS.Signals>(
  (value) => typeof value === 'string' && /^SIG[A-Z0-9]+$/.test(value),
  'expected a signal name such as SIGTERM',
)

const port = z.int().check(z.minimum(1), z.maximum(65_535))

/** What a check looks at: a TCP port that accepts, an HTTP URL that answers 2xx/3xx, a program that exits 0. */
const tcpCheck = z.strictObject({kind: z.literal('tcp'), host: z.string().check(z.minLength(1)), port})
const httpCheck = z.strictObject({kind: z.literal('http'), url: z.url({protocol: /^https?$/})})
const execCheck = z.strictObject({kind: z.literal('exec'), argv: z.array(z.string()).check(z.minLength(1))})
/** A line of the app's stdout that matches this regular expression. */
const logCheck = z.strictObject({kind: z.literal('log'), pattern: z.string().check(z.minLength(1))})
/** The app says it is ready itself: process.send('ready') (PM2's wait_ready). */
const notifyCheck = z.strictObject({kind: z.literal('notify')})

/** When the app counts as online: a check, and how long it may take from the spawn. */
export const readySchema = z.discriminatedUnion('kind', [
  z.extend(tcpCheck, {timeout: milliseconds}),
  z.extend(httpCheck, {timeout: milliseconds}),
  z.extend(execCheck, {timeout: milliseconds}),
  z.extend(logCheck, {timeout: milliseconds}),
  z.extend(notifyCheck, {timeout: milliseconds}),
])

/** While online: a check every `interval`, each given `timeout`; `failures` in a row restart the app. */
export const healthSchema = z.discriminatedUnion('kind', [
  z.extend(tcpCheck, {interval: milliseconds, timeout: milliseconds, failures: z.int().check(z.minimum(1))}),
  z.extend(httpCheck, {interval: milliseconds, timeout: milliseconds, failures: z.int().check(z.minimum(1))}),
  z.extend(execCheck, {interval: milliseconds, timeout: milliseconds, failures: z.int().check(z.minimum(1))}),
])

/**
 * A socket tspm opens once and hands to every instance (systemd's socket activation: fds 3, 4, ...
 * with LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PID). `host` absent: every address, IPv6 and IPv4.
 */
const tcpListen = z.strictObject({
  kind: z.literal('tcp'),
  host: z.optional(z.string().check(z.minLength(1))),
  port,
  name: z.string(),
})
/** A Unix socket at `path`, created with `mode` (0660 unless configured). */
const unixListen = z.strictObject({
  kind: z.literal('unix'),
  path: absolutePath,
  mode: z.int().check(z.minimum(0), z.maximum(0o777)),
  name: z.string(),
})
export const listenSchema = z.discriminatedUnion('kind', [tcpListen, unixListen])
export type ListenAddress = z.output<typeof listenSchema>

/** A name PM2's increment_var may set: an environment variable name. */
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/

export type ReadyCheck = z.output<typeof readySchema>
export type HealthCheck = z.output<typeof healthSchema>

export const processSpecSchema = z.strictObject({
  name: z.string().check(z.regex(PROCESS_NAME_PATTERN, `expected ${PROCESS_NAME_RULE}`)),
  /** Absolute path of the script, or a bare command name looked up on PATH at spawn time. */
  script: z.string().check(z.minLength(1)),
  args: z._default(z.array(z.string()), () => []),
  /** Absolute working directory. */
  cwd: absolutePath,
  /** Program that runs the script: an absolute path or a command name; absent runs the script directly. */
  interpreter: z.optional(z.string().check(z.minLength(1))),
  /** Arguments for the interpreter, before the script (PM2's node_args / interpreter_args). */
  interpreter_args: z._default(z.array(z.string()), () => []),
  /** Only the variables the user wrote under `env:`. */
  env: z._default(z.record(z.string(), z.string()), () => ({})),
  /** Absolute path of a dotenv file, read at every start of the process. */
  env_file: z.optional(absolutePath),
  autorestart: z._default(z.boolean(), true),
  /** false: `tspm start` registers it stopped (PM2's autostart). */
  autostart: z._default(z.boolean(), true),
  /** Consecutive unstable runs before the process is errored. */
  max_restarts: z._default(z.int().check(z.nonnegative()), 16),
  /** Durations in milliseconds (DESIGN.md, restart policy). */
  min_uptime: z._default(milliseconds, 1000),
  restart_delay: z._default(milliseconds, 0),
  exp_backoff_restart_delay: z._default(milliseconds, 100),
  max_restart_delay: z._default(milliseconds, 15_000),
  backoff_reset: z._default(milliseconds, 30_000),
  kill_timeout: z._default(milliseconds, 1600),
  stop_signal: z._default(signalNameSchema, 'SIGTERM'),
  stop_exit_codes: z._default(z.array(z.int().check(z.minimum(0), z.maximum(255))), () => []),
  /** Bytes. */
  max_log_size: z._default(z.int().check(z.minimum(1024)), 10 * 1024 * 1024),
  log_files: z._default(z.int().check(z.minimum(1), z.maximum(100)), 5),
  /** Where stdout and stderr go instead of $TSPM_HOME/logs (PM2's out_file, error_file); `/dev/null` keeps none. */
  out_file: z.optional(absolutePath),
  error_file: z.optional(absolutePath),
  /** Both streams, also, into one file (PM2's log_file). */
  log_file: z.optional(absolutePath),
  /** The instances of the app write the same files rather than one each (PM2's merge_logs). */
  merge_logs: z._default(z.boolean(), false),
  /** Every line of output written after its arrival time in this format (PM2's log_date_format; `time: true`). */
  log_date_format: z.optional(z.string().check(z.minLength(1))),
  /** When the process counts as online; absent: as soon as it runs. */
  ready: z.optional(readySchema),
  /** Checks while it is online, which restart it when it stops answering. */
  health: z.optional(healthSchema),
  /** Processes of the same home that must be online before this one starts (and stop after it). */
  depends_on: z._default(z.array(z.string().check(z.regex(PROCESS_NAME_PATTERN))), () => []),
  /** How many copies run: a number, or `max` (one per core, counted when it starts). */
  instances: z._default(z.union([z.int().check(z.minimum(1), z.maximum(1024)), z.literal('max')]), 1),
  /** PM2's increment_var: this variable of env gets the instance number added (PORT=3000: 3000, 3001...). */
  increment_var: z.optional(z.string().check(z.regex(ENV_NAME_PATTERN))),
  /** Sockets tspm binds and passes to every instance, kept open across restarts and reloads. */
  listen: z._default(z.array(listenSchema), () => []),
  /** Bytes: a process group whose resident memory grows past this is restarted gracefully (PM2's max_memory_restart). */
  max_memory_restart: z.optional(z.int().check(z.positive())),
  /** A cron schedule (5 fields, or 6 with seconds first) that restarts the app, in the supervisor's time zone. */
  cron_restart: z.optional(z.string().check(z.minLength(1))),
  /** Absolute paths whose files, changed, restart the app (PM2's watch); empty: not watched. */
  watch: z._default(z.array(absolutePath), () => []),
  /** What not to watch besides node_modules and .git: names, paths relative to cwd, or globs (* ** ?). */
  ignore_watch: z._default(z.array(z.string().check(z.minLength(1))), () => []),
  /** How long the watched files must be quiet before the restart (changes within it make one restart). */
  watch_delay: z._default(milliseconds, 1000),
  /** Absolute path of the config file the process came from, if any. */
  config_file: z.optional(absolutePath),
  /** The `--env NAME` it was loaded with (PM2's env_NAME), so the file can be read again the same way. */
  config_env: z.optional(z.string().check(z.minLength(1))),
})

export type ProcessSpec = z.output<typeof processSpecSchema>
/** A spec before its defaults: what config loading and `tspm start SCRIPT` fill in. */
export type ProcessSpecInput = z.input<typeof processSpecSchema>

/** The keys a user may set with a default, and those defaults (derived from the schema). */
export const PROCESS_DEFAULTS = (() => {
  const defaults: Partial<ProcessSpec> = processSpecSchema.parse({name: 'x', script: 'x', cwd: '/'})
  delete defaults.name
  delete defaults.script
  delete defaults.cwd
  return Object.freeze(defaults as Omit<ProcessSpec, 'cwd' | 'name' | 'script'>)
})()

/**
 * Fills every default and checks the result. Optional keys stay absent rather than undefined,
 * so specs compare and serialise cleanly.
 */
export function completeSpec(input: ProcessSpecInput): ProcessSpec {
  const defined = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined))
  return processSpecSchema.parse(defined)
}
