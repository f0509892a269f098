/**
 * A config file read into data, with a way back from a data path to a place in the file. YAML
 * keeps its lines and columns. A `.json` file is read by JSON.parse, as PM2 and Node read it; the
 * YAML parser (JSON is YAML) reads it again for its places only when they are asked for: a problem
 * to point at, or a number whose text to keep. A PM2 ecosystem module (`*.config.js`, `.cjs`,
 * `.mjs`) is the user's own code, evaluated here in the CLI by Node as PM2 does (module.exports,
 * export default, or a function returning the config), and its problems name the file and the
 * field path only.
 */
import type {Document} from 'yaml'

import {readFile} from 'node:fs/promises'
import {resolve} from 'node:path'
import {pathToFileURL} from 'node:url'

import {JS_CONFIG_PATTERN, JSON_CONFIG_PATTERN} from './config-files.js'
import {ConfigError, type Path, wholeInputError} from './problems.js'

export interface ConfigSource {
  data: unknown
  /** Where the values are in the file (see above: loaded on the first call for a JSON file). */
  places(): Promise<ConfigPlaces>
}

export interface ConfigPlaces {
  /** Where the value at `path` is (its key with `key`); line 0 when the file has no lines to tell. */
  position(path: Path, key?: boolean): {column: number; line: number}
  /** The text of a number as written (`1.10` stays "1.10"), when the file keeps it. */
  numberText(path: Path): string | undefined
}

function readFailure(err: unknown): string {
  const {code} = err as NodeJS.ErrnoException
  if (code === 'ENOENT') return 'no such file; pass -c FILE or create it (see examples/tspm.yaml)'
  if (code === 'EACCES' || code === 'EPERM') return 'cannot read the file (permission denied)'
  if (code === 'EISDIR') return 'is a folder; expected a YAML file'
  return `cannot read the file: ${(err as Error).message}`
}

export async function readConfigSource(file: string): Promise<ConfigSource> {
  const path = resolve(file)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw wholeInputError(file, readFailure(error))
  }

  if (JS_CONFIG_PATTERN.test(file)) return moduleSource(file, path)
  return JSON_CONFIG_PATTERN.test(file) ? jsonSource(file, text) : yamlSource(file, text)
}

async function yamlSource(file: string, text: string): Promise<ConfigSource> {
  const {data, places} = await readYaml(file, text)
  return {data, places: async () => places}
}

/** A file JSON.parse refuses goes to the YAML parser, which names the place of its error (or reads it). */
async function jsonSource(file: string, text: string): Promise<ConfigSource> {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    return yamlSource(file, text)
  }

  let places: Promise<ConfigPlaces> | undefined
  return {
    data,
    places() {
      places ??= readYaml(file, text).then((read) => read.places)
      return places
    },
  }
}

async function readYaml(file: string, text: string): Promise<{data: unknown; places: ConfigPlaces}> {
  const [{LineCounter, parseDocument}, {findNode, numberSource, positionOf}] = await Promise.all([
    import('yaml'),
    import('./positions.js'),
  ])
  const lineCounter = new LineCounter()
  // merge: true lets users share settings between processes with anchors and `<<: *defaults`.
  const doc: Document = parseDocument(text, {lineCounter, merge: true, prettyErrors: true})
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

  if (doc.contents === null) throw wholeInputError(file, 'expected a "processes:" list, got an empty file')
  let data: unknown
  try {
    data = doc.toJS()
  } catch (error) {
    // e.g. the alias-count guard against "billion laughs" documents.
    throw wholeInputError(file, `cannot read the YAML: ${(error as Error).message}`)
  }

  return {
    data,
    places: {
      position(path, key) {
        const found = findNode(doc, path)
        return positionOf((key ? found.key : undefined) ?? found.node, lineCounter)
      },
      numberText: (path) => numberSource(doc, path),
    },
  }
}

async function moduleSource(file: string, path: string): Promise<ConfigSource> {
  let data: unknown
  try {
    const loaded = (await import(pathToFileURL(path).href)) as {default?: unknown}
    data = loaded.default ?? loaded
    if (typeof data === 'function') data = await (data as () => unknown)()
  } catch (error) {
    throw wholeInputError(file, `cannot load this JavaScript config: ${(error as Error).message}`)
  }

  // No lines to tell, and numbers in a JS config are numbers already: nothing was written as text.
  const places: ConfigPlaces = {
    position: () => ({line: 0, column: 0}),
    numberText: () => undefined as string | undefined,
  }
  return {data, places: async () => places}
}

function syntaxMessage(code: string, message: string): string {
  if (code === 'MULTIPLE_DOCS') return 'expected one YAML document, found more than one (separated by "---")'
  // The library appends " at line L, column C:" and a source excerpt; we print our own position.
  const first = (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '')
  return first.charAt(0).toLowerCase() + first.slice(1)
}
