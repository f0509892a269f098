/**
 * Turns a tspm.yaml (PM2 ecosystem field names under a top-level `processes:` list), or a bare
 * `tspm start SCRIPT`, into ProcessSpecs: validated, with paths resolved and every default applied.
 * Errors point at file:line:column so the user can jump straight to the offending value. The parts
 * live beside it: fields.ts (what each key accepts), positions.ts (YAML positions), suggestions.ts
 * (unknown keys), split-args.ts, script-resolution.ts, problems.ts.
 */
import {dirname, resolve} from 'node:path'

import type {MetricsSettings} from '../model/api.js'

import {PM2_TIME_FORMAT} from '../model/date-format.js'
import {PROCESS_NAME_PATTERN, PROCESS_NAME_RULE, RESERVED_NAME_MESSAGE, RESERVED_PROCESS_NAME} from '../model/names.js'
import {completeSpec, type ProcessSpec, type ProcessSpecInput} from '../model/process-spec.js'
import {READY_DEFAULTS} from './checks.js'
import {type ConfigPlaces, readConfigSource} from './config-source.js'
import {dependencyProblems} from './dependencies.js'
import {configSchema, PROCESS_KEYS, type ProcessEntry, TOP_LEVEL_KEYS} from './fields.js'
import {takeInFile} from './file-intake.js'
import {instanceProblems} from './instances.js'
import {ConfigError, formatPath, type Path, wholeInputError} from './problems.js'
import {nameFromScript, resolveInterpreter, resolveScript, splitCommandLine} from './script-resolution.js'
import {runProblems} from './start-checks.js'
import {unknownKeyMessage} from './suggestions.js'
import {isMap} from './units.js'

export {ConfigError, type ConfigProblem, formatProblem} from './problems.js'
export {splitArgs} from './split-args.js'
export {MAX_DURATION_MS, parseDuration, parseSize} from './units.js'

export interface LoadOptions {
  /** `--env NAME`: each process's `env_NAME` goes over its `env` (PM2's environments). */
  env?: string
  /** `--strict`: the PM2 keys tspm ignores are errors instead of one warning. */
  strict?: boolean
  /** Told what was ignored: PM2 keys without a meaning here, an --env no process has. */
  warn?: (message: string) => void
  /** Also check that each process can run (start-checks.ts): what `tspm start` does. */
  checkRunnable?: boolean
}

/** What a config file sets up: its processes, and the top-level `metrics:` (undefined when absent; null: `false`). */
export interface LoadedConfig {
  specs: ProcessSpec[]
  metrics: MetricsSettings | null | undefined
}

/**
 * Reads, validates and resolves a config file: tspm.yaml, a JSON file, or a PM2 ecosystem module,
 * with its list under `processes:` or PM2's `apps:`. Throws ConfigError listing every problem found.
 */
export async function loadConfigFile(file: string, options: LoadOptions = {}): Promise<ProcessSpec[]> {
  return (await loadConfig(file, options)).specs
}

/** loadConfigFile, with the file's settings beside its processes. */
export async function loadConfig(file: string, options: LoadOptions = {}): Promise<LoadedConfig> {
  const configPath = resolve(file)
  const source = await readConfigSource(file)
  const found: FoundProblem[] = []
  const intake = takeInFile(source.data, options)
  // Problems name the list as the file does: `apps[0].script` in a PM2 file.
  const shown = (path: Path): Path => (path[0] === 'processes' ? [intake.listKey, ...path.slice(1)] : path)
  const at: At = (path, message, key = false) => {
    found.push({path: shown(path), message, key})
  }

  /** Every problem found, at its place in the file (a JSON file's places are read only now). */
  const failure = async (): Promise<ConfigError> => {
    const places = await source.places()
    const problems = found.map(({path, message, key}) => ({
      file,
      ...places.position(path, key),
      path: formatPath(path),
      message: typeof message === 'string' ? message : message(places),
    }))
    problems.sort((a, b) => a.line - b.line || a.column - b.column)
    return new ConfigError(problems)
  }

  for (const problem of intake.problems) at(problem.path, problem.message, problem.key)
  const result = configSchema.safeParse(intake.data)
  for (const issue of result.success ? [] : result.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      const known = issue.path.length === 0 ? TOP_LEVEL_KEYS : PROCESS_KEYS
      for (const key of issue.keys) at([...issue.path, key], unknownKeyMessage(key, known), true)
    } else {
      at(issue.path, issue.message)
    }
  }

  // Checked on the raw data so a duplicate is reported even when other keys are wrong too.
  const rawList = (intake.data as null | {processes?: unknown})?.processes
  checkDuplicateNames(rawList, shown, at)
  if (result.success) checkAcrossEntries(result.data.processes, source.data, shown, at)
  if (found.length > 0 || !result.success) throw await failure()

  // The text of numbers in env and args as written: only a file that has some needs its places.
  const places = writesNumbers(rawList) ? await source.places() : undefined
  const baseDir = dirname(configPath)
  const specs = result.data.processes.map((entry, index) =>
    resolveEntry(entry, {
      baseDir,
      configPath,
      numberText(path, envSet) {
        if (!places) return
        const fromSet =
          envSet && path[0] === 'env'
            ? places.numberText(shown(['processes', index, `env_${envSet}`, ...path.slice(1)]))
            : undefined
        return fromSet ?? places.numberText(shown(['processes', index, ...path]))
      },
      envSet: intake.envSetUsed[index],
    }),
  )
  if (options.checkRunnable) {
    for (const [index, spec] of specs.entries()) {
      for (const problem of runProblems(spec)) at(['processes', index, problem.key], problem.message)
    }

    if (found.length > 0) throw await failure()
  }

  for (const warning of intake.warnings(file)) options.warn?.(warning)
  return {specs, metrics: result.data.metrics}
}

/** A problem at a data path (under `processes`), at its key with `key`. */
type At = (path: Path, message: Message, key?: boolean) => void
/** A message, or one that names another place in the file (made once the places are read). */
type Message = ((places: ConfigPlaces) => string) | string
interface FoundProblem {
  /** As the file names it (`apps[0]` in a PM2 file). */
  path: Path
  message: Message
  key: boolean
}

function checkDuplicateNames(processes: unknown, shown: (path: Path) => Path, at: At): void {
  if (!Array.isArray(processes)) return
  const firstSeen = new Map<string, number>()
  for (const [index, entry] of processes.entries()) {
    const entryName = (entry as null | {name?: unknown})?.name
    if (typeof entryName !== 'string') continue
    const first = firstSeen.get(entryName)
    if (first === undefined) {
      firstSeen.set(entryName, index)
      continue
    }

    const firstPath = shown(['processes', first, 'name'])
    at(['processes', index, 'name'], (places) => {
      const {line} = places.position(firstPath)
      const where = formatPath(shown(['processes', first]))
      return `duplicate name ${JSON.stringify(entryName)}, already used by ${where}${line > 0 ? ` on line ${line}` : ''}`
    })
  }
}

/** What no single key can tell: depends_on across the file, and PM2's readiness keys next to tspm's. */
function checkAcrossEntries(entries: ProcessEntry[], raw: unknown, shown: (path: Path) => Path, at: At): void {
  for (const problem of dependencyProblems(entries)) {
    const list = ['processes', problem.index, 'depends_on']
    // `depends_on: db` has no item to point at; `depends_on: [db, cache]` does.
    const path = problem.item !== undefined && Array.isArray(valueAt(raw, shown(list))) ? [...list, problem.item] : list
    at(path, problem.message)
  }

  for (const [index, entry] of entries.entries()) {
    const key = (name: string) => ['processes', index, name]
    if (entry.wait_ready && entry.ready) at(key('wait_ready'), "give ready: or PM2's wait_ready, not both", true)
    if (entry.listen_timeout !== undefined && !entry.wait_ready) {
      at(
        key('listen_timeout'),
        'listen_timeout is the timeout of wait_ready: true; add wait_ready: true, or use ready: {..., timeout}',
        true,
      )
    }

    for (const problem of instanceProblems(entry)) at(key(problem.key), problem.message, true)
  }
}

function valueAt(data: unknown, path: Path): unknown {
  let value = data
  for (const segment of path)
    value = isMap(value) || Array.isArray(value) ? (value as Record<PropertyKey, unknown>)[segment] : undefined
  return value
}

/** Whether an entry writes a number in its env (or an env_NAME) or its args, whose text a spec keeps. */
function writesNumbers(processes: unknown): boolean {
  if (!Array.isArray(processes)) return false
  const numberIn = (values: unknown) =>
    Array.isArray(values) || isMap(values) ? Object.values(values).some((value) => typeof value === 'number') : false
  return processes.some(
    (entry) =>
      isMap(entry) &&
      Object.entries(entry).some(
        ([key, value]) => (key === 'args' || key === 'env' || key.startsWith('env_')) && numberIn(value),
      ),
  )
}

function resolveEntry(
  entry: ProcessEntry,
  {
    baseDir,
    configPath,
    numberText,
    envSet,
  }: {
    baseDir: string
    configPath: string
    envSet?: string
    numberText: (path: Path, envSet?: string) => string | undefined
  },
): ProcessSpec {
  const {wait_ready: waitReady, listen_timeout: listenTimeout, time, ...settings} = entry
  const logPath = (file: string | undefined) => (file === undefined ? undefined : resolve(baseDir, file))
  const cwd = settings.cwd === undefined ? baseDir : resolve(baseDir, settings.cwd)
  const original = (path: Path, value: string) => numberText(path, envSet) ?? value
  return buildSpec({
    ...settings,
    ...(waitReady ? {ready: {kind: 'notify', timeout: listenTimeout ?? READY_DEFAULTS.timeout}} : {}),
    cwd,
    args: settings.args?.map((arg, i) => original(['args', i], arg)),
    // PM2's meaning: a restart_delay of one's own is a fixed delay, unless a backoff is asked for too.
    ...(settings.restart_delay !== undefined && settings.exp_backoff_restart_delay === undefined
      ? {exp_backoff_restart_delay: 0}
      : {}),
    env:
      settings.env &&
      Object.fromEntries(Object.entries(settings.env).map(([key, value]) => [key, original(['env', key], value)])),
    env_file: settings.env_file === undefined ? undefined : resolve(baseDir, settings.env_file),
    out_file: logPath(settings.out_file),
    error_file: logPath(settings.error_file),
    log_file: logPath(settings.log_file),
    log_date_format: settings.log_date_format ?? (time ? PM2_TIME_FORMAT : undefined),
    watch: settings.watch === true ? [cwd] : settings.watch?.map((path) => resolve(cwd, path)),
    listen: settings.listen?.map((address) => ({
      ...address,
      ...(address.kind === 'unix' ? {path: resolve(baseDir, address.path)} : {}),
      name: address.name ?? settings.name,
    })),
    config_file: configPath,
    ...(envSet === undefined ? {} : {config_env: envSet}),
  })
}

/**
 * Splits a script given as a command line, resolves script and interpreter against cwd, then
 * fills every default (from the spec's schema).
 */
function buildSpec(input: ProcessSpecInput): ProcessSpec {
  const command = splitCommandLine(input.script, input.cwd)
  const script = resolveScript(command.script, input.cwd)
  return completeSpec({
    ...input,
    script,
    args: [...command.args, ...(input.args ?? [])],
    interpreter: resolveInterpreter(input.interpreter, script, input.cwd),
  })
}

export interface ScriptOptions {
  /** Defaults to the script's file name without extension. */
  name?: string
  args?: string[]
  /** Where the user ran tspm; relative script and interpreter paths resolve against it. */
  cwd: string
  interpreter?: string
  /** Also check that it can run (start-checks.ts): what `tspm start SCRIPT` does. */
  checkRunnable?: boolean
}

/** A spec for a single script with every default. Throws ConfigError naming the flag or script at fault. */
export function specForScript(script: string, options: ScriptOptions): ProcessSpec {
  const fail = wholeInputError
  if (script.trim() === '')
    throw fail('SCRIPT', `expected the path of a script or a command to run, got ${JSON.stringify(script)}`)
  if (options.interpreter !== undefined && options.interpreter.trim() === '') {
    throw fail('--interpreter', `expected a program path or command name, or "none", got ""`)
  }

  let processName: string
  if (options.name === undefined) {
    processName = nameFromScript(script)
    if (processName === RESERVED_PROCESS_NAME) throw fail(script, `${RESERVED_NAME_MESSAGE}; pass --name NAME`)
    if (processName === '') throw fail(script, 'cannot make a process name from the script name; pass --name NAME')
  } else {
    if (!PROCESS_NAME_PATTERN.test(options.name))
      throw fail('--name', `expected ${PROCESS_NAME_RULE}, got ${JSON.stringify(options.name)}`)
    if (options.name === RESERVED_PROCESS_NAME) throw fail('--name', RESERVED_NAME_MESSAGE)
    processName = options.name
  }

  const spec = buildSpec({
    name: processName,
    script,
    cwd: resolve(options.cwd),
    args: options.args ? [...options.args] : [],
    ...(options.interpreter === undefined ? {} : {interpreter: options.interpreter}),
  })
  const problems = options.checkRunnable ? runProblems(spec) : []
  if (problems.length > 0) {
    throw new ConfigError(
      problems.map((problem) => ({
        file: problem.key === 'interpreter' ? '--interpreter' : script,
        line: 0,
        column: 0,
        path: '',
        message: problem.message,
      })),
    )
  }

  return spec
}
