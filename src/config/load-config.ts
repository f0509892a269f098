/**
 * Turns a tspm.yaml (PM2 ecosystem field names under a top-level `processes:` list), or a bare
 * `tspm start SCRIPT`, into ProcessSpecs: validated, with paths resolved and every default applied.
 * Errors point at file:line:column so the user can jump straight to the offending value.
 */
import {existsSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {constants as osConstants} from 'node:os'
import {basename, dirname, extname, isAbsolute, join, resolve} from 'node:path'
import {isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document} from 'yaml'
import {z} from 'zod'

import {ExitCode} from '../exit-codes.js'
import {
  PROCESS_DEFAULTS,
  PROCESS_NAME_PATTERN,
  RESERVED_NAME_MESSAGE,
  RESERVED_PROCESS_NAME,
  type ProcessSpec,
} from '../process-spec.js'
import {describeValue, parseDuration, parseSize} from './units.js'

export {MAX_DURATION_MS, parseDuration, parseSize} from './units.js'

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

// ---------------------------------------------------------------------------------------------
// Field schemas. Every field goes through `field()` so that all messages read the same way:
// "expected <what>, got <value>". Converters return undefined for "wrong value" (the generic
// message), throw a RangeError for a more specific message, or report problems inside a list/map.

type Report = (message: string, path?: (string | number)[]) => void
type Convert<T> = (value: unknown, report: Report) => T | undefined

function field<T, R extends boolean>(required: R, expected: string, convert: Convert<T>) {
  return z.unknown().transform((value, ctx): R extends true ? T : T | undefined => {
    type Out = R extends true ? T : T | undefined
    if (value === undefined || (value === null && !required)) {
      // An optional key that is absent or left empty (`env:` with everything commented out)
      // simply takes its default.
      if (required) ctx.addIssue({code: 'custom', message: `missing; expected ${expected}`})
      return (required ? z.NEVER : undefined) as Out
    }
    let failed = false
    const report: Report = (message, path = []) => {
      failed = true
      ctx.addIssue({code: 'custom', message, path})
    }
    let out: T | undefined
    try {
      out = convert(value, report)
    } catch (err) {
      if (!(err instanceof RangeError)) throw err
      report(err.message)
    }
    if (!failed && out === undefined) report(`expected ${expected}, got ${describeValue(value)}`)
    return (failed ? z.NEVER : out) as Out
  })
}

const required = <T>(expected: string, convert: Convert<T>) => field(true, expected, convert)
// .optional() marks the key as optional for the object; a null value still reaches field().
const optional = <T>(expected: string, convert: Convert<T>) => field(false, expected, convert).optional()

const NAME_RULE = 'a name made of letters, digits, ".", "_" or "-"'
const SIGNALS = new Set(Object.keys(osConstants.signals))

const text: Convert<string> = (value) => (typeof value === 'string' && value.trim() !== '' ? value : undefined)

const name: Convert<string> = (value, report) => {
  if (typeof value === 'number') {
    // YAML turned it into a number; say so rather than claim digits are not allowed.
    report(`expected a string, got ${value}; put the name in quotes`)
    return undefined
  }
  if (value === RESERVED_PROCESS_NAME) {
    report(RESERVED_NAME_MESSAGE)
    return undefined
  }
  return typeof value === 'string' && PROCESS_NAME_PATTERN.test(value) ? value : undefined
}

const args: Convert<string[]> = (value, report) => {
  if (typeof value === 'string') return splitArgs(value)
  if (!Array.isArray(value)) return undefined
  return value.map((item, i) => {
    if (typeof item === 'string' || typeof item === 'number') return String(item)
    report(`expected a string or number, got ${describeValue(item)}`, [i])
    return ''
  })
}

const env: Convert<Record<string, string>> = (value, report) => {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined
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
  if (typeof value !== 'string') return undefined
  const upper = value.trim().toUpperCase()
  const full = upper.startsWith('SIG') ? upper : `SIG${upper}`
  return SIGNALS.has(full) ? (full as NodeJS.Signals) : undefined
}

const isExitCode = (value: unknown): value is number => integer(0, 255)(value, () => {}) !== undefined

const exitCodes: Convert<number[]> = (value, report) => {
  if (isExitCode(value)) return [value]
  if (!Array.isArray(value)) return undefined
  value.forEach((code, i) => {
    if (!isExitCode(code)) report(`expected an exit code from 0 to 255, got ${describeValue(code)}`, [i])
  })
  return value as number[]
}

const MIN_LOG_SIZE = 1024
const logSize: Convert<number> = (value) => {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined
  const bytes = parseSize(value)
  // Below 1K rotation would happen on nearly every line, which is never what anyone wants.
  if (bytes < MIN_LOG_SIZE)
    throw new RangeError(`expected at least ${MIN_LOG_SIZE} bytes ("1K"), got ${describeValue(value)}`)
  return bytes
}

const DURATION = 'milliseconds'

const PROCESS_SHAPE = {
  name: required(NAME_RULE, name),
  script: required('the path of a script or a command to run', text),
  args: optional('a list of arguments or a string of them', args),
  cwd: optional('a folder path', text),
  env: optional('a map of variable names to values', env),
  env_file: optional('the path of a dotenv file', text),
  interpreter: optional('a program path or command name, or "none"', text),
  autorestart: optional('true or false', boolean),
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
}
const PROCESS_KEYS = Object.keys(PROCESS_SHAPE)

const processEntry = z.strictObject(PROCESS_SHAPE, {
  error: (issue) =>
    issue.code === 'invalid_type' ? `expected a map of process settings, got ${describeValue(issue.input)}` : undefined,
})

const configSchema = z.strictObject(
  {
    processes: z
      .array(processEntry, {
        error: (issue) =>
          issue.code !== 'invalid_type'
            ? undefined
            : issue.input === undefined
              ? 'missing; expected a list of processes'
              : `expected a list of processes, got ${describeValue(issue.input)}`,
      })
      .min(1, {error: 'expected at least one process, got an empty list'}),
  },
  {
    error: (issue) =>
      issue.code === 'invalid_type'
        ? `expected a map with a "processes:" list, got ${describeValue(issue.input)}`
        : undefined,
  },
)

type ProcessEntry = z.output<typeof processEntry>

// ---------------------------------------------------------------------------------------------
// Unknown keys: suggest the nearest known key, and explain PM2 habits that tspm does not share.

/** PM2 options a migrating user is likely to bring along; a "did you mean" would only mislead. */
const PM2_ONLY_KEYS = new Set([
  'instances',
  'exec_mode',
  'watch',
  'ignore_watch',
  'max_memory_restart',
  'out_file',
  'error_file',
  'log_file',
  'merge_logs',
  'log_date_format',
  'time',
  'node_args',
  'interpreter_args',
  'cron_restart',
  'namespace',
  'wait_ready',
  'listen_timeout',
])

function unknownKeyMessage(key: string, known: readonly string[]): string {
  if (known.includes('processes')) {
    if (key === 'apps') return 'unknown key; tspm calls this list "processes"'
    if (editDistance(key.toLowerCase(), 'processes') > 3) {
      return 'unknown key; the top level holds "processes" and, for shared YAML anchors, keys starting with "x-"'
    }
  }
  if (PM2_ONLY_KEYS.has(key) && known.includes('name')) return 'unknown key; this PM2 option is not supported by tspm'
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate)
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance]
  }
  // Allow roughly one typo per three letters; beyond that the "suggestion" is a random key.
  const close = best !== undefined && bestDistance <= Math.max(1, Math.floor(key.length / 3))
  return close ? `unknown key; did you mean "${best}"?` : 'unknown key'
}

/** Levenshtein distance that also counts swapping two neighbouring letters as one edit. */
function editDistance(a: string, b: string): number {
  const d = Array.from({length: a.length + 1}, (_, i) =>
    Array.from({length: b.length + 1}, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  )
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1)
      d[i]![j] = best
    }
  }
  return d[a.length]![b.length]!
}

// ---------------------------------------------------------------------------------------------
// Positions: map a data path such as ['processes', 1, 'kill_timeout'] back to the YAML node.

type Path = readonly PropertyKey[]

interface Found {
  /** The deepest node reached (the entry itself when a required key is missing). */
  node: unknown
  /** The key node of the last map step, for "unknown key" messages. */
  key?: unknown
  /** False when the path leaves the document, e.g. a missing key or a key brought in by `<<:`. */
  complete: boolean
}

function findNode(doc: Document, path: Path): Found {
  let node: unknown = doc.contents
  let key: unknown
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(doc)
    let next: unknown
    let nextKey: unknown
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment))
      if (pair) {
        nextKey = pair.key
        // `key:` with nothing after it has an empty value node just past the colon; the key
        // itself is the more useful place to point at.
        const empty = !pair.value || (isScalar(pair.value) && pair.value.value === null && !pair.value.source)
        next = empty ? pair.key : pair.value
      }
    } else if (isSeq(node) && typeof segment === 'number') {
      next = node.items[segment]
    }
    if (next === undefined || next === null) return {node, key, complete: false}
    node = next
    key = nextKey
  }
  return {node, key, complete: true}
}

function positionOf(node: unknown, lineCounter: LineCounter): {line: number; column: number} {
  const offset = (node as {range?: [number, number, number]} | null)?.range?.[0] ?? 0
  const {line, col} = lineCounter.linePos(offset)
  return {line, column: col}
}

function formatPath(path: Path): string {
  return path
    .map((segment, i) =>
      typeof segment === 'number' ? `[${segment}]` : i === 0 ? String(segment) : `.${String(segment)}`,
    )
    .join('')
}

/**
 * The text the user wrote for a numeric scalar, so `VERSION: 1.10` stays "1.10" and `ZIP: 01234`
 * keeps its zero instead of going through a JavaScript number.
 */
function numberSource(doc: Document, path: Path): string | undefined {
  const {node, complete} = findNode(doc, path)
  if (complete && isScalar(node) && typeof node.value === 'number' && node.source) return node.source
  return undefined
}

// ---------------------------------------------------------------------------------------------
// Loading a file.

function readFailure(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code
  if (code === 'ENOENT') return 'no such file; pass -c FILE or create it (see examples/tspm.yaml)'
  if (code === 'EACCES' || code === 'EPERM') return 'cannot read the file (permission denied)'
  if (code === 'EISDIR') return 'is a folder; expected a YAML file'
  return `cannot read the file: ${(err as Error).message}`
}

/** Reads, validates and resolves a config file. Throws ConfigError listing every problem found. */
export async function loadConfigFile(file: string): Promise<ProcessSpec[]> {
  const wholeFile = (message: string) => new ConfigError([{file, line: 0, column: 0, path: '', message}])
  const configPath = resolve(file)

  let source: string
  try {
    source = await readFile(configPath, 'utf8')
  } catch (err) {
    throw wholeFile(readFailure(err))
  }

  const lineCounter = new LineCounter()
  // merge: true lets users share settings between processes with anchors and `<<: *defaults`.
  const doc = parseDocument(source, {lineCounter, merge: true, prettyErrors: true})
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((error) => {
        const pos = error.linePos?.[0]
        return {
          file,
          line: pos?.line ?? 0,
          column: pos?.col ?? 0,
          path: '',
          message: syntaxMessage(error.code, error.message),
        }
      }),
    )
  }
  if (doc.contents === null) throw wholeFile('expected a "processes:" list, got an empty file')

  let data: unknown
  try {
    data = doc.toJS()
  } catch (err) {
    // e.g. the alias-count guard against "billion laughs" documents.
    throw wholeFile(`cannot read the YAML: ${(err as Error).message}`)
  }

  const problems: ConfigProblem[] = []
  const at = (path: Path, node: unknown, message: string) =>
    problems.push({file, ...positionOf(node, lineCounter), path: formatPath(path), message})

  const result = configSchema.safeParse(withoutExtensionKeys(data))
  for (const issue of result.success ? [] : result.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      const known = issue.path.length === 0 ? ['processes'] : PROCESS_KEYS
      for (const key of issue.keys) {
        const found = findNode(doc, [...issue.path, key])
        at([...issue.path, key], found.key ?? found.node, unknownKeyMessage(key, known))
      }
    } else {
      at(issue.path, findNode(doc, issue.path).node, issue.message)
    }
  }

  // Checked on the raw data so a duplicate is reported even when other keys are wrong too.
  const processes = (data as {processes?: unknown} | null)?.processes
  if (Array.isArray(processes)) {
    const firstSeen = new Map<string, {index: number; line: number}>()
    processes.forEach((entry: unknown, index) => {
      const entryName = (entry as {name?: unknown} | null)?.name
      if (typeof entryName !== 'string') return
      const path = ['processes', index, 'name']
      const node = findNode(doc, path).node
      const first = firstSeen.get(entryName)
      if (first === undefined) firstSeen.set(entryName, {index, line: positionOf(node, lineCounter).line})
      else
        at(
          path,
          node,
          `duplicate name ${JSON.stringify(entryName)}, already used by processes[${first.index}] on line ${first.line}`,
        )
    })
  }

  if (problems.length > 0 || !result.success) {
    problems.sort((a, b) => a.line - b.line || a.column - b.column)
    throw new ConfigError(problems)
  }

  const baseDir = dirname(configPath)
  return result.data.processes.map((entry, index) => resolveEntry(entry, index, doc, baseDir, configPath))
}

/**
 * Top-level keys starting with "x-" are ignored (the docker-compose convention), so a file can hold
 * shared settings for anchors: `x-defaults: &defaults` ... `<<: *defaults`.
 */
function withoutExtensionKeys(data: unknown): unknown {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return data
  return Object.fromEntries(Object.entries(data).filter(([key]) => !key.startsWith('x-')))
}

function syntaxMessage(code: string, message: string): string {
  if (code === 'MULTIPLE_DOCS') return 'expected one YAML document, found more than one (separated by "---")'
  // The library appends " at line L, column C:" and a source excerpt; we print our own position.
  const first = (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '')
  return first.charAt(0).toLowerCase() + first.slice(1)
}

function resolveEntry(
  entry: ProcessEntry,
  index: number,
  doc: Document,
  baseDir: string,
  configPath: string,
): ProcessSpec {
  const cwd = entry.cwd === undefined ? baseDir : resolve(baseDir, entry.cwd)
  const original = (path: Path, value: string) => numberSource(doc, ['processes', index, ...path]) ?? value
  return buildSpec({
    ...entry,
    cwd,
    args: entry.args?.map((arg, i) => original(['args', i], arg)),
    env:
      entry.env &&
      Object.fromEntries(Object.entries(entry.env).map(([key, value]) => [key, original(['env', key], value)])),
    env_file: entry.env_file === undefined ? undefined : resolve(baseDir, entry.env_file),
    config_file: configPath,
  })
}

// ---------------------------------------------------------------------------------------------
// Building a spec: shared by config files and `tspm start SCRIPT`.

type SpecInput = Partial<Omit<ProcessSpec, 'name' | 'script' | 'cwd'>> & {name: string; script: string; cwd: string}

/** Resolves script and interpreter against cwd and fills every policy default. */
function buildSpec(input: SpecInput): ProcessSpec {
  const script = resolveScript(input.script, input.cwd)
  const interpreter = resolveInterpreter(input.interpreter, script, input.cwd)
  const d = PROCESS_DEFAULTS
  // Optional keys are left out rather than set to undefined, so specs compare and serialise cleanly.
  return {
    name: input.name,
    script,
    args: input.args ?? [],
    cwd: input.cwd,
    ...(interpreter === undefined ? {} : {interpreter}),
    env: input.env ?? {},
    ...(input.env_file === undefined ? {} : {env_file: input.env_file}),
    autorestart: input.autorestart ?? d.autorestart,
    max_restarts: input.max_restarts ?? d.max_restarts,
    min_uptime: input.min_uptime ?? d.min_uptime,
    restart_delay: input.restart_delay ?? d.restart_delay,
    exp_backoff_restart_delay: input.exp_backoff_restart_delay ?? d.exp_backoff_restart_delay,
    max_restart_delay: input.max_restart_delay ?? d.max_restart_delay,
    backoff_reset: input.backoff_reset ?? d.backoff_reset,
    kill_timeout: input.kill_timeout ?? d.kill_timeout,
    stop_signal: input.stop_signal ?? d.stop_signal,
    // Copy: the default array is shared and a caller might push onto the result.
    stop_exit_codes: [...(input.stop_exit_codes ?? d.stop_exit_codes)],
    max_log_size: input.max_log_size ?? d.max_log_size,
    log_files: input.log_files ?? d.log_files,
    ...(input.config_file === undefined ? {} : {config_file: input.config_file}),
  }
}

/**
 * A path (absolute, containing '/', or a file present in cwd) becomes absolute; anything else is a
 * command name that the spawn looks up on PATH, like `python3` or `npm`.
 */
function resolveScript(script: string, cwd: string): string {
  if (isAbsolute(script) || script.includes('/') || existsSync(join(cwd, script))) return resolve(cwd, script)
  return script
}

/**
 * No interpreter: JavaScript files run with the Node that runs tspm, anything else runs directly.
 * `none` forces running directly; a relative path with '/' is taken from cwd; a bare name stays
 * a name for PATH lookup.
 */
function resolveInterpreter(interpreter: string | undefined, script: string, cwd: string): string | undefined {
  if (interpreter === undefined) return /\.[cm]?js$/i.test(script) ? process.execPath : undefined
  if (interpreter === 'none') return undefined
  if (isAbsolute(interpreter) || interpreter.includes('/')) return resolve(cwd, interpreter)
  return interpreter
}

/**
 * Splits a command line into words the way a user expects from a shell, without a shell: blanks
 * separate words, 'single quotes' are literal, "double quotes" allow \" and \\, and a backslash
 * outside quotes keeps the next character. Nothing is expanded.
 */
export function splitArgs(line: string): string[] {
  const unmatched = () => new RangeError(`expected arguments with matching quotes, got ${JSON.stringify(line)}`)
  const words: string[] = []
  let word = ''
  let inWord = false
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!
    if (/\s/.test(ch)) {
      if (inWord) words.push(word)
      word = ''
      inWord = false
      continue
    }
    inWord = true
    if (ch === "'") {
      const end = line.indexOf("'", i + 1)
      if (end < 0) throw unmatched()
      word += line.slice(i + 1, end)
      i = end
    } else if (ch === '"') {
      let j = i + 1
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\' && (line[j + 1] === '"' || line[j + 1] === '\\')) j++
        word += line[j]
      }
      if (j >= line.length) throw unmatched()
      i = j
    } else if (ch === '\\' && i + 1 < line.length) {
      word += line[++i]
    } else {
      word += ch
    }
  }
  if (inWord) words.push(word)
  return words
}

// ---------------------------------------------------------------------------------------------
// `tspm start SCRIPT` without a config file.

export interface ScriptOptions {
  /** Defaults to the script's file name without extension. */
  name?: string
  args?: string[]
  /** Where the user ran tspm; relative script and interpreter paths resolve against it. */
  cwd: string
  interpreter?: string
}

/** A spec for a single script with every default. Throws ConfigError naming the flag or script at fault. */
export function specForScript(script: string, options: ScriptOptions): ProcessSpec {
  const fail = (file: string, message: string) => new ConfigError([{file, line: 0, column: 0, path: '', message}])
  if (script.trim() === '')
    throw fail('SCRIPT', `expected the path of a script or a command to run, got ${JSON.stringify(script)}`)
  if (options.interpreter !== undefined && options.interpreter.trim() === '') {
    throw fail('--interpreter', `expected a program path or command name, or "none", got ""`)
  }

  let processName: string
  if (options.name !== undefined) {
    if (!PROCESS_NAME_PATTERN.test(options.name))
      throw fail('--name', `expected ${NAME_RULE}, got ${JSON.stringify(options.name)}`)
    if (options.name === RESERVED_PROCESS_NAME) throw fail('--name', RESERVED_NAME_MESSAGE)
    processName = options.name
  } else {
    processName = nameFromScript(script)
    if (processName === RESERVED_PROCESS_NAME) throw fail(script, `${RESERVED_NAME_MESSAGE}; pass --name NAME`)
    if (processName === '') throw fail(script, 'cannot make a process name from the script name; pass --name NAME')
  }

  return buildSpec({
    name: processName,
    script,
    cwd: resolve(options.cwd),
    args: options.args ? [...options.args] : [],
    ...(options.interpreter === undefined ? {} : {interpreter: options.interpreter}),
  })
}

/** `./bin/my server.mjs` -> `my-server`: other characters become '-', edges are trimmed. */
function nameFromScript(script: string): string {
  const base = basename(script)
  const stem = base.slice(0, base.length - extname(base).length)
  return stem.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '')
}
