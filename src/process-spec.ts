/**
 * What the user configured for one process, resolved to absolute paths and with every default
 * applied. This is the one shape that config loading produces, the supervisor runs, and the dump
 * stores; it never holds the caller's environment or the contents of env_file.
 */
export interface ProcessSpec {
  name: string
  /** Absolute path of the script, or a bare command name looked up on PATH at spawn time. */
  script: string
  args: string[]
  /** Absolute working directory. */
  cwd: string
  /** Program that runs the script: an absolute path or a command name; undefined runs the script directly. */
  interpreter?: string
  /** Only the variables the user wrote under `env:`. */
  env: Record<string, string>
  /** Absolute path of a dotenv file, read at every start of the process. */
  env_file?: string
  autorestart: boolean
  max_restarts: number
  /** Milliseconds. */
  min_uptime: number
  restart_delay: number
  exp_backoff_restart_delay: number
  max_restart_delay: number
  backoff_reset: number
  kill_timeout: number
  stop_signal: NodeJS.Signals
  stop_exit_codes: number[]
  /** Bytes. */
  max_log_size: number
  log_files: number
  /** Absolute path of the config file the process came from, if any. */
  config_file?: string
}

/** Policy fields and their defaults (DESIGN.md, restart policy). Durations in ms, sizes in bytes. */
export const PROCESS_DEFAULTS = {
  autorestart: true,
  max_restarts: 16,
  min_uptime: 1000,
  restart_delay: 0,
  exp_backoff_restart_delay: 100,
  max_restart_delay: 15_000,
  backoff_reset: 30_000,
  kill_timeout: 1600,
  stop_signal: 'SIGTERM' as NodeJS.Signals,
  stop_exit_codes: [] as number[],
  max_log_size: 10 * 1024 * 1024,
  log_files: 5,
} satisfies Partial<ProcessSpec>

/** Letters, digits, `.`, `_`, `-`; also what makes a name safe as a log file name. */
export const PROCESS_NAME_PATTERN = /^[A-Za-z0-9._-]+$/

/** `all` means every process in stop, restart and delete, so no process may carry that name. */
export const RESERVED_PROCESS_NAME = 'all'
export const RESERVED_NAME_MESSAGE = `"${RESERVED_PROCESS_NAME}" is reserved (stop, restart and delete use it for every process); choose another name`
