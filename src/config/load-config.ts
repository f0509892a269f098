/**
 * Turns a tspm.yaml (PM2 ecosystem field names under a top-level `processes:` list), or a bare
 * `tspm start SCRIPT`, into ProcessSpecs: validated, with paths resolved and every default applied.
 * Errors point at file:line:column so the user can jump straight to the offending value. The parts
 * live beside it: fields.ts (what each key accepts), positions.ts (YAML positions), suggestions.ts
 * (unknown keys), split-args.ts, script-resolution.ts, problems.ts.
 */
import {readFile} from 'node:fs/promises'
import {dirname, resolve} from 'node:path'
import {type Document, isSeq, LineCounter, parseDocument} from 'yaml'

import {PROCESS_NAME_PATTERN, PROCESS_NAME_RULE, RESERVED_NAME_MESSAGE, RESERVED_PROCESS_NAME} from '../model/names.js'
import {completeSpec, type ProcessSpec, type ProcessSpecInput} from '../model/process-spec.js'
import {READY_DEFAULTS} from './checks.js'
import {dependencyProblems} from './dependencies.js'
import {configSchema, PROCESS_KEYS, type ProcessEntry} from './fields.js'
import {instanceProblems} from './instances.js'
import {findNode, formatPath, numberSource, type Path, positionOf} from './positions.js'
import {ConfigError, type ConfigProblem, wholeInputError} from './problems.js'
import {nameFromScript, resolveInterpreter, resolveScript} from './script-resolution.js'
import {unknownKeyMessage} from './suggestions.js'

export {ConfigError, type ConfigProblem, formatProblem} from './problems.js'
export {splitArgs} from './split-args.js'
export {MAX_DURATION_MS, parseDuration, parseSize} from './units.js'

function readFailure(err: unknown): string {
  const {code} = err as NodeJS.ErrnoException
  if (code === 'ENOENT') return 'no such file; pass -c FILE or create it (see examples/tspm.yaml)'
  if (code === 'EACCES' || code === 'EPERM') return 'cannot read the file (permission denied)'
  if (code === 'EISDIR') return 'is a folder; expected a YAML file'
  return `cannot read the file: ${(err as Error).message}`
}

/** Reads, validates and resolves a config file. Throws ConfigError listing every problem found. */
export async function loadConfigFile(file: string): Promise<ProcessSpec[]> {
  const wholeFile = (message: string) => wholeInputError(file, message)
  const configPath = resolve(file)

  let source: string
  try {
    source = await readFile(configPath, 'utf8')
  } catch (error) {
    throw wholeFile(readFailure(error))
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
  } catch (error) {
    // e.g. the alias-count guard against "billion laughs" documents.
    throw wholeFile(`cannot read the YAML: ${(error as Error).message}`)
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
  checkDuplicateNames((data as null | {processes?: unknown})?.processes, doc, lineCounter, at)
  if (result.success) checkAcrossEntries(result.data.processes, doc, at)

  if (problems.length > 0 || !result.success) {
    problems.sort((a, b) => a.line - b.line || a.column - b.column)
    throw new ConfigError(problems)
  }

  const baseDir = dirname(configPath)
  return result.data.processes.map((entry, index) => resolveEntry(entry, {index, doc, baseDir, configPath}))
}

type At = (path: Path, node: unknown, message: string) => void

function checkDuplicateNames(processes: unknown, doc: Document, lineCounter: LineCounter, at: At): void {
  if (!Array.isArray(processes)) return
  const firstSeen = new Map<string, {index: number; line: number}>()
  for (const [index, entry] of processes.entries()) {
    const entryName = (entry as null | {name?: unknown})?.name
    if (typeof entryName !== 'string') continue
    const path = ['processes', index, 'name']
    const {node} = findNode(doc, path)
    const first = firstSeen.get(entryName)
    if (first === undefined) firstSeen.set(entryName, {index, line: positionOf(node, lineCounter).line})
    else
      at(
        path,
        node,
        `duplicate name ${JSON.stringify(entryName)}, already used by processes[${first.index}] on line ${first.line}`,
      )
  }
}

/** What no single key can tell: depends_on across the file, and PM2's readiness keys next to tspm's. */
function checkAcrossEntries(entries: ProcessEntry[], doc: Document, at: At): void {
  for (const problem of dependencyProblems(entries)) {
    const list = ['processes', problem.index, 'depends_on']
    // `depends_on: db` has no item to point at; `depends_on: [db, cache]` does.
    const path = problem.item !== undefined && isSeq(findNode(doc, list).node) ? [...list, problem.item] : list
    at(path, findNode(doc, path).node, problem.message)
  }

  for (const [index, entry] of entries.entries()) {
    const keyAt = (key: string) => findNode(doc, ['processes', index, key]).key
    if (entry.wait_ready && entry.ready)
      at(['processes', index, 'wait_ready'], keyAt('wait_ready'), "give ready: or PM2's wait_ready, not both")
    if (entry.listen_timeout !== undefined && !entry.wait_ready) {
      at(
        ['processes', index, 'listen_timeout'],
        keyAt('listen_timeout'),
        'listen_timeout is the timeout of wait_ready: true; add wait_ready: true, or use ready: {..., timeout}',
      )
    }

    for (const problem of instanceProblems(entry))
      at(['processes', index, problem.key], keyAt(problem.key), problem.message)
  }
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
  {index, doc, baseDir, configPath}: {index: number; doc: Document; baseDir: string; configPath: string},
): ProcessSpec {
  const {wait_ready: waitReady, listen_timeout: listenTimeout, ...settings} = entry
  const cwd = settings.cwd === undefined ? baseDir : resolve(baseDir, settings.cwd)
  const original = (path: Path, value: string) => numberSource(doc, ['processes', index, ...path]) ?? value
  return buildSpec({
    ...settings,
    ...(waitReady ? {ready: {kind: 'notify', timeout: listenTimeout ?? READY_DEFAULTS.timeout}} : {}),
    cwd,
    args: settings.args?.map((arg, i) => original(['args', i], arg)),
    env:
      settings.env &&
      Object.fromEntries(Object.entries(settings.env).map(([key, value]) => [key, original(['env', key], value)])),
    env_file: settings.env_file === undefined ? undefined : resolve(baseDir, settings.env_file),
    listen: settings.listen?.map((address) => ({
      ...address,
      ...(address.kind === 'unix' ? {path: resolve(baseDir, address.path)} : {}),
      name: address.name ?? settings.name,
    })),
    config_file: configPath,
  })
}

/** Resolves script and interpreter against cwd, then fills every default (from the spec's schema). */
function buildSpec(input: ProcessSpecInput): ProcessSpec {
  const script = resolveScript(input.script, input.cwd)
  return completeSpec({...input, script, interpreter: resolveInterpreter(input.interpreter, script, input.cwd)})
}

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

  return buildSpec({
    name: processName,
    script,
    cwd: resolve(options.cwd),
    args: options.args ? [...options.args] : [],
    ...(options.interpreter === undefined ? {} : {interpreter: options.interpreter}),
  })
}
