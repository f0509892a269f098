/** Problems found in a config (or in `tspm start SCRIPT`'s flags), and the error that lists them. */
import {ExitCode} from '../model/exit-codes.js'

/** A data path such as ['processes', 1, 'kill_timeout']. */
export type Path = readonly PropertyKey[]

/** One thing wrong with the input. line and column are 1-based; line 0 means "the whole input". */
export interface ConfigProblem {
  /** The file as the caller named it (or a flag such as `--name` for `tspm start`). */
  file: string
  line: number
  column: number
  /** Where in the config, e.g. `processes[1].kill_timeout`; empty when it is not about one key. */
  path: string
  message: string
}

/** `tspm.yaml:7:5 processes[1].kill_timeout: expected milliseconds, got "soon"` */
export function formatProblem(problem: ConfigProblem): string {
  const where = problem.line > 0 ? `${problem.file}:${problem.line}:${problem.column}` : problem.file
  return problem.path ? `${where} ${problem.path}: ${problem.message}` : `${where}: ${problem.message}`
}

/** Bad configuration; `message` lists every problem, one per line, ready to print. */
export class ConfigError extends Error {
  override name = 'ConfigError'
  readonly exitCode = ExitCode.usage
  readonly code = 'bad_config'

  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'))
  }
}

/** A ConfigError for the whole input, not one key (a missing file, a bad flag). */
export function wholeInputError(file: string, message: string): ConfigError {
  return new ConfigError([{file, line: 0, column: 0, path: '', message}])
}

/** `processes[1].kill_timeout`: a data path as problems name it. */
export function formatPath(path: Path): string {
  return path
    .map((segment, i) =>
      typeof segment === 'number' ? `[${segment}]` : i === 0 ? String(segment) : `.${String(segment)}`,
    )
    .join('')
}
