/** Every exit code tspm uses, in one table. Scripts may rely on these. */
export const ExitCode = {
  ok: 0,
  /** An operation failed, or named a process that does not exist. */
  failure: 1,
  /** Bad input: a flag, an argument, a config file, or a TSPM_HOME that cannot be used. */
  usage: 2,
  /** No supervisor answers for this TSPM_HOME, and the command needs one. */
  notRunning: 3,
  /** Another supervisor already runs for this TSPM_HOME. */
  alreadyRunning: 4,
  /** The command needs root; the exact command to run was printed. */
  needsRoot: 5,
  /** A saved file (dump.json and its .bak) cannot be read or does not validate. */
  badData: 6,
} as const

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]
export type ExitCodeName = keyof typeof ExitCode

export interface TspmErrorOptions {
  exit?: ExitCodeValue
  /** A short, stable, machine-readable name of what went wrong, such as `bad_home`. */
  code?: string
  /** What the command could still answer (for --json), such as the orphans `list` found. */
  result?: unknown
}

/** An error meant for the user: one clear message, what to do, and an exit code from the table. */
export class TspmError extends Error {
  readonly exitCode: ExitCodeValue
  readonly code: string
  readonly result: unknown

  constructor(message: string, options: TspmErrorOptions = {}) {
    super(message)
    this.name = 'TspmError'
    this.exitCode = options.exit ?? ExitCode.failure
    this.code = options.code ?? 'failure'
    this.result = options.result
  }
}
