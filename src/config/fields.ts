import {Cron} from 'croner'
import {availableParallelism, constants as osConstants} from 'node:os'

import {compileDateFormat} from '../model/date-format.js'
import {PROCESS_NAME_PATTERN, PROCESS_NAME_RULE, RESERVED_NAME_MESSAGE, RESERVED_PROCESS_NAME} from '../model/names.js'
import {ENV_NAME_PATTERN, type ProcessSpec} from '../model/process-spec.js'
import * as z from '../vendor/zod.js'
import {healthCheck, readyCheck} from './checks.js'
import {listenAddresses} from './listen.js'
import {METRICS_EXPECTED, metricsSettings} from './metrics.js'
import {splitArgs} from './split-args.js'
import {describeValue, isMap, parseDuration, parseSize} from './units.js'

/**
 * The fields of one process entry, as users write them, and the schema of the whole file. Every
 * field goes through `field()` so that all messages read the same way: "expected <what>, got
 * <value>". Converters return undefined for "wrong value" (the generic message), throw a
 * RangeError for a more specific message, or report problems inside a list or map. The keys are
 * those of ProcessSpec (model/process-spec.ts) that a user may set: a new spec field needs its
 * entry here, or the build fails.
 */

type Report = (message: string, path?: (number | string)[]) => void
type Convert<T> = (value: unknown, report: Report) => T | undefined

function field<T, R extends boolean>(required: R, expected: string, convert: Convert<T>) {
  return z.pipe(
    z.unknown(),
    z.transform((value, ctx): R extends true ? T : T | undefined => {
      type Out = R extends true ? T : T | undefined
      if (value === undefined || (value === null && !required)) {
        // An optional key that is absent or left empty (`env:` with everything commented out)
        // simply takes its default.
        if (required) ctx.issues.push({code: 'custom', message: `missing; expected ${expected}`, input: value})
        return (required ? z.NEVER : undefined) as Out
      }

      let failed = false
      const report: Report = (message, path = []) => {
        failed = true
        ctx.issues.push({code: 'custom', message, path, input: value})
      }

      let out: T | undefined
      try {
        out = convert(value, report)
      } catch (error) {
        if (!(error instanceof RangeError)) throw error
        report(error.message)
      }

      if (!failed && out === undefined) report(`expected ${expected}, got ${describeValue(value)}`)
      return (failed ? z.NEVER : out) as Out
    }),
  )
}

const required = <T>(expected: string, convert: Convert<T>) => field(true, expected, convert)
// z.optional marks the key as optional for the object; a null value still reaches field().
const optional = <T>(expected: string, convert: Convert<T>) => z.optional(field(false, expected, convert))

const SIGNALS = new Set(Object.keys(osConstants.signals))

const text: Convert<string> = (value) => (typeof value === 'string' && value.trim() !== '' ? value : undefined)

const name: Convert<string> = (value, report) => {
  if (typeof value === 'number') {
    // YAML turned it into a number; say so rather than claim digits are not allowed.
    report(`expected a string, got ${value}; put the name in quotes`)
    return
  }

  if (value === RESERVED_PROCESS_NAME) {
    report(RESERVED_NAME_MESSAGE)
    return
  }

  return typeof value === 'string' && PROCESS_NAME_PATTERN.test(value) ? value : undefined
}

const args: Convert<string[]> = (value, report) => {
  if (typeof value === 'string') return splitArgs(value)
  if (!Array.isArray(value)) return
  return value.map((item, i) => {
    if (typeof item === 'string' || typeof item === 'number') return String(item)
    report(`expected a string or number, got ${describeValue(item)}`, [i])
    return ''
  })
}

const env: Convert<Record<string, string>> = (value, report) => {
  if (!isMap(value)) return
  const vars = new Map<string, string>()
  for (const [key, item] of Object.entries(value)) {
    if (key === '' || key.includes('=') || key.includes('\0')) {
      report(`expected a variable name without "=", got ${JSON.stringify(key)}`, [key])
    } else if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') {
      vars.set(key, String(item))
    } else {
      report(`expected a string, number or true/false, got ${describeValue(item)}`, [key])
    }
  }

  return Object.fromEntries(vars)
}

const boolean: Convert<boolean> = (value) => (typeof value === 'boolean' ? value : undefined)

const integer =
  (min: number, max = Number.MAX_SAFE_INTEGER): Convert<number> =>
  (value) =>
    typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max ? value : undefined

const duration: Convert<number> = (value) =>
  typeof value === 'string' || typeof value === 'number' ? parseDuration(value) : undefined

const signal: Convert<NodeJS.Signals> = (value) => {
  if (typeof value !== 'string') return
  const upper = value.trim().toUpperCase()
  const full = upper.startsWith('SIG') ? upper : `SIG${upper}`
  return SIGNALS.has(full) ? (full as NodeJS.Signals) : undefined
}

const isExitCode = (value: unknown): value is number => integer(0, 255)(value, () => {}) !== undefined

const exitCodes: Convert<number[]> = (value, report) => {
  if (isExitCode(value)) return [value]
  if (!Array.isArray(value)) return
  for (const [i, code] of value.entries()) {
    if (!isExitCode(code)) report(`expected an exit code from 0 to 255, got ${describeValue(code)}`, [i])
  }

  return value as number[]
}

const MIN_LOG_SIZE = 1024
const logSize: Convert<number> = (value) => {
  if (typeof value !== 'string' && typeof value !== 'number') return
  const bytes = parseSize(value)
  // Below 1K rotation would happen on nearly every line, which is never what anyone wants.
  if (bytes < MIN_LOG_SIZE)
    throw new RangeError(`expected at least ${MIN_LOG_SIZE} bytes ("1K"), got ${describeValue(value)}`)
  return bytes
}

const DURATION = 'milliseconds'

/** A name or a list of names of processes of the same file. */
const dependsOn: Convert<string[]> = (value, report) => {
  const names = typeof value === 'string' ? [value] : Array.isArray(value) ? value : undefined
  if (!names) return
  for (const [i, item] of names.entries()) {
    if (typeof item !== 'string' || !PROCESS_NAME_PATTERN.test(item)) {
      report(`expected the name of a process, got ${describeValue(item)}`, typeof value === 'string' ? [] : [i])
    }
  }

  return names as string[]
}

/**
 * A whole number of copies, or "max": one per core. PM2's 0 means "max" too, and -N means N fewer
 * than the cores (at least one), counted here.
 */
const instances: Convert<'max' | number> = (value) => {
  if (value === 'max' || value === 0) return 'max'
  if (typeof value === 'number' && Number.isSafeInteger(value) && value < 0)
    return Math.max(1, availableParallelism() + value)
  return integer(1, 1024)(value, () => {})
}

const envName: Convert<string> = (value) =>
  typeof value === 'string' && ENV_NAME_PATTERN.test(value) ? value : undefined

/** A log file path, or `/dev/null` for none. */
const logPath: Convert<string> = (value) => (typeof value === 'string' && value.trim() !== '' ? value : undefined)

/** PM2's log_date_format (day.js tokens); what tspm cannot write is named. */
const dateFormat: Convert<string> = (value) => {
  if (typeof value !== 'string' || value === '') return
  compileDateFormat(value)
  return value
}

/** PM2's max_memory_restart: bytes or a size ("300M"); a tiny limit would restart an app at every look. */
const MIN_MEMORY_LIMIT = 1024 * 1024
const memoryLimit: Convert<number> = (value) => {
  if (typeof value !== 'string' && typeof value !== 'number') return
  const bytes = parseSize(value)
  if (bytes < MIN_MEMORY_LIMIT) throw new RangeError(`expected at least 1M, got ${describeValue(value)}`)
  return bytes
}

/** 5 fields, or 6 with seconds first, as PM2 (and croner, which reads them) accepts. */
const cronSchedule: Convert<string> = (value) => {
  if (typeof value !== 'string' || value.trim() === '') return
  const fields = value.trim().split(/\s+/).length
  if (fields < 5 || fields > 6)
    throw new RangeError(
      `expected 5 fields (minute hour day month weekday) or 6 (seconds first), got ${JSON.stringify(value)}`,
    )
  try {
    // Parsed only, never run: the supervisor schedules it.
    new Cron(value, {paused: true}).stop()
  } catch (error) {
    throw new RangeError(
      `expected a cron schedule such as "0 3 * * *", got ${JSON.stringify(value)}: ${(error as Error).message}`,
    )
  }

  return value.trim()
}

/** `true` (the cwd), false, one path, or a list of paths; relative to cwd, resolved by load-config. */
const watchPaths: Convert<string[] | true> = (value, report) => {
  if (value === true) return true
  if (value === false) return []
  const paths = typeof value === 'string' ? [value] : Array.isArray(value) ? value : undefined
  if (!paths) return
  for (const [i, item] of paths.entries()) {
    if (typeof item !== 'string' || item.trim() === '') report(`expected a path, got ${describeValue(item)}`, [i])
  }

  return paths as string[]
}

const patterns: Convert<string[]> = (value, report) => {
  const items = typeof value === 'string' ? [value] : Array.isArray(value) ? value : undefined
  if (!items) return
  for (const [i, item] of items.entries()) {
    if (typeof item !== 'string' || item.trim() === '')
      report(`expected a name, path or glob, got ${describeValue(item)}`, typeof value === 'string' ? [] : [i])
  }

  return items as string[]
}

export const PROCESS_SHAPE = {
  name: required(PROCESS_NAME_RULE, name),
  script: required('the path of a script or a command to run', text),
  args: optional('a list of arguments or a string of them', args),
  cwd: optional('a folder path', text),
  env: optional('a map of variable names to values', env),
  env_file: optional('the path of a dotenv file', text),
  interpreter: optional('a program path or command name, or "none"', text),
  interpreter_args: optional('a list of arguments for the interpreter or a string of them', args),
  autorestart: optional('true or false', boolean),
  autostart: optional('true or false', boolean),
  max_restarts: optional('a whole number of 0 or more', integer(0)),
  min_uptime: optional(DURATION, duration),
  restart_delay: optional(DURATION, duration),
  exp_backoff_restart_delay: optional(DURATION, duration),
  max_restart_delay: optional(DURATION, duration),
  backoff_reset: optional(DURATION, duration),
  kill_timeout: optional(DURATION, duration),
  stop_signal: optional('a signal name like "SIGTERM" or "SIGINT"', signal),
  stop_exit_codes: optional('an exit code from 0 to 255 or a list of them', exitCodes),
  max_log_size: optional('bytes or a size like "10M"', logSize),
  log_files: optional('a whole number from 1 to 100', integer(1, 100)),
  ready: optional('a map with one check: tcp, http, exec, log or notify (and timeout)', readyCheck),
  health: optional('a map with one check: tcp, http or exec (and interval, timeout, failures)', healthCheck),
  depends_on: optional('the name of a process of this file, or a list of them', dependsOn),
  instances: optional('a whole number from 1 to 1024, or "max" (one per core; PM2\'s 0 and -N work too)', instances),
  increment_var: optional('the name of a variable of env, such as PORT', envName),
  listen: optional('a port, "host:port", a socket path, or a list of them', listenAddresses),
  out_file: optional('a file path for stdout, or /dev/null', logPath),
  error_file: optional('a file path for stderr, or /dev/null', logPath),
  log_file: optional('a file path for both streams', logPath),
  merge_logs: optional('true or false', boolean),
  log_date_format: optional('a date format such as "YYYY-MM-DD HH:mm:ss Z"', dateFormat),
  max_memory_restart: optional('bytes or a size like "300M"', memoryLimit),
  cron_restart: optional('a cron schedule such as "0 3 * * *"', cronSchedule),
  watch: optional('true, false, a path or a list of paths', watchPaths),
  ignore_watch: optional('a name, path or glob, or a list of them', patterns),
  watch_delay: optional(DURATION, duration),
} satisfies Record<Exclude<keyof ProcessSpec, 'config_env' | 'config_file'>, unknown>

/** PM2's names for a readiness check: `wait_ready: true` and `listen_timeout` mean `ready: {notify: true, timeout}`. */
const PM2_READY_SHAPE = {
  wait_ready: optional('true or false', boolean),
  listen_timeout: optional(DURATION, duration),
  /** PM2's `time: true`: log_date_format "YYYY-MM-DDTHH:mm:ss". */
  time: optional('true or false', boolean),
}

export const PROCESS_KEYS = [...Object.keys(PROCESS_SHAPE), ...Object.keys(PM2_READY_SHAPE)]

const processEntry = z.strictObject(
  {...PROCESS_SHAPE, ...PM2_READY_SHAPE},
  {
    error: (issue) =>
      issue.code === 'invalid_type'
        ? `expected a map of process settings, got ${describeValue(issue.input)}`
        : undefined,
  },
)

export const configSchema = z.strictObject(
  {
    processes: z
      .array(processEntry, {
        error: (issue) =>
          issue.code === 'invalid_type'
            ? issue.input === undefined
              ? 'missing; expected a list of processes'
              : `expected a list of processes, got ${describeValue(issue.input)}`
            : undefined,
      })
      .check(z.minLength(1, {error: 'expected at least one process, got an empty list'})),
    metrics: optional(METRICS_EXPECTED, metricsSettings),
  },
  {
    error: (issue) =>
      issue.code === 'invalid_type'
        ? `expected a map with a "processes:" list, got ${describeValue(issue.input)}`
        : undefined,
  },
)

export type ProcessEntry = z.output<typeof processEntry>
export const TOP_LEVEL_KEYS = Object.keys(configSchema.shape)
