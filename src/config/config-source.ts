/**
 * A config file read into data, with a way back from a data path to a place in the file. YAML and
 * JSON (a JSON file is YAML to the parser) keep their lines and columns; a PM2 ecosystem module
 * (`*.config.js`, `.cjs`, `.mjs`) is the user's own code, evaluated here in the CLI by Node as PM2
 * does (module.exports, export default, or a function returning the config), and its problems name
 * the file and the field path only.
 */
import {readFile} from 'node:fs/promises'
import {resolve} from 'node:path'
import {pathToFileURL} from 'node:url'
import {type Document, isSeq, LineCounter, parseDocument} from 'yaml'

import {JS_CONFIG_PATTERN} from './config-files.js'
import {findNode, numberSource, type Path, positionOf} from './positions.js'
import {ConfigError, wholeInputError} from './problems.js'

export interface ConfigSource {
  data: unknown
  /** Where the value at `path` is (its key with `key`); line 0 when the file has no lines to tell. */
  position(path: Path, key?: boolean): {column: number; line: number}
  /** Whether the value at `path` is written as a list (`[a, b]`), not a single item. */
  isList(path: Path): boolean
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

  return JS_CONFIG_PATTERN.test(file) ? moduleSource(file, path) : yamlSource(file, text)
}

function yamlSource(file: string, text: string): ConfigSource {
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
    position(path, key) {
      const found = findNode(doc, path)
      return positionOf((key ? found.key : undefined) ?? found.node, lineCounter)
    },
    isList: (path) => isSeq(findNode(doc, path).node),
    numberText: (path) => numberSource(doc, path),
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

  return {
    data,
    position: () => ({line: 0, column: 0}),
    isList(dataPath) {
      let value: unknown = data
      for (const segment of dataPath) value = (value as Record<PropertyKey, unknown> | undefined)?.[segment]
      return Array.isArray(value)
    },
    // Numbers in a JS config are numbers already: nothing was written as text.
    numberText: () => undefined as string | undefined,
  }
}

function syntaxMessage(code: string, message: string): string {
  if (code === 'MULTIPLE_DOCS') return 'expected one YAML document, found more than one (separated by "---")'
  // The library appends " at line L, column C:" and a source excerpt; we print our own position.
  const first = (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '')
  return first.charAt(0).toLowerCase() + first.slice(1)
}
