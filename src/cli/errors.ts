/**
 * The one error and output path of every tspm command, with oclif (TspmCommand) or without it
 * (the fast path of bin/run.js): the exit code of any error, its JSON face and its text face, the
 * warning face, and the envelope `--json` prints for success and failure alike:
 *
 *   {"status": 0, "result": ..., "warnings": [...]}
 *   {"status": 2, "error": {"name": ..., "code": ..., "message": ...}, "warnings": [...]}
 *
 * `status` is the exit code. A failure may carry a `result` too (what the command could still
 * answer, such as the orphans `list` finds when no supervisor runs).
 */
import {ExitCode, type ExitCodeValue} from '../model/exit-codes.js'

const EXIT_CODES = new Set<number>(Object.values(ExitCode))

/**
 * The exit code of any error: tspm's errors (and a plugin's) carry one from the table; oclif's
 * own errors carry `oclif.exit` (2 for a bad flag or argument); anything else is a failure (1).
 */
export function exitCodeOf(error: unknown): ExitCodeValue {
  const candidate = error as null | {exitCode?: unknown; oclif?: {exit?: unknown}}
  for (const exit of [candidate?.exitCode, candidate?.oclif?.exit]) {
    if (typeof exit === 'number' && exit !== ExitCode.ok && EXIT_CODES.has(exit)) return exit as ExitCodeValue
  }

  return ExitCode.failure
}

/** The machine-readable name of an error: its own `code` when it has one, else from its exit code. */
export function errorCodeOf(error: unknown): string {
  const code = (error as null | {code?: unknown})?.code
  if (typeof code === 'string' && /^[a-z][a-z0-9_]*$/.test(code)) return code
  return exitCodeOf(error) === ExitCode.usage ? 'usage' : 'failure'
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

export interface SuccessEnvelope<T = unknown> {
  status: 0
  result: T
  warnings: string[]
}

export interface ErrorEnvelope {
  status: number
  error: {name: string; code: string; message: string}
  result?: unknown
  warnings: string[]
}

export function successEnvelope<T>(result: T, warnings: string[] = []): SuccessEnvelope<T> {
  return {status: ExitCode.ok, result, warnings}
}

export function errorEnvelope(error: unknown, warnings: string[] = []): ErrorEnvelope {
  const name = error instanceof Error ? error.name : 'Error'
  const envelope: ErrorEnvelope = {
    status: exitCodeOf(error),
    error: {name, code: errorCodeOf(error), message: messageOf(error)},
    warnings,
  }
  const result = (error as null | {result?: unknown})?.result
  if (result !== undefined) envelope.result = result
  return envelope
}

/** `--json` output: the envelope, indented, one trailing newline. */
export function renderJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`
}

/** An error as a person reads it; printed as is (never wrapped), so `file:line:col field: message` stays whole. */
export function errorText(error: unknown): string {
  return `Error: ${messageOf(error)}`
}

export function warningText(message: string): string {
  return `Warning: ${message}`
}

/** Where a service's words go. Services take this, so they never print on their own. */
export interface Output {
  /** Whether --json is on: the answer is the returned result, so log() prints nothing. */
  readonly json: boolean
  /** The command's answer for a person: stdout (nothing under --json). */
  log(text: string): void
  /** Progress and remarks: stderr, so stdout stays the answer (also under --json). */
  note(text: string): void
  /** Something the user should act on: `Warning: ...` on stderr, or the envelope's `warnings`. */
  warn(text: string): void
}

export interface Streams {
  stdout: {write(text: string): unknown}
  stderr: {write(text: string): unknown}
}

/** The Output of one command run, and the two ways that run ends: succeed or fail. */
export class CommandOutput implements Output {
  readonly warnings: string[] = []

  constructor(
    readonly json: boolean,
    private readonly streams: Streams = process,
  ) {}

  log(text: string): void {
    if (!this.json) this.streams.stdout.write(`${text}\n`)
  }

  note(text: string): void {
    this.streams.stderr.write(`${text}\n`)
  }

  warn(text: string): void {
    if (this.json) this.warnings.push(text)
    else this.streams.stderr.write(`${warningText(text)}\n`)
  }

  /** Prints the success envelope under --json (the text answer was logged already). */
  succeed(result: unknown): void {
    if (this.json) this.streams.stdout.write(renderJson(successEnvelope(result ?? {}, this.warnings)))
  }

  /** Prints the error (envelope on stdout under --json, else `Error: ...` on stderr); returns the exit code. */
  fail(error: unknown): ExitCodeValue {
    if (this.json) this.streams.stdout.write(renderJson(errorEnvelope(error, this.warnings)))
    else this.streams.stderr.write(`${errorText(error)}\n`)
    return exitCodeOf(error)
  }
}

/** Whether a command line asks for --json (before any `--`), or TSPM_CONTENT_TYPE=json does, as oclif reads it. */
export function jsonRequested(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.TSPM_CONTENT_TYPE?.toLowerCase() === 'json') return true
  const end = argv.indexOf('--')
  const json = argv.indexOf('--json')
  return json !== -1 && (end === -1 || json < end)
}
