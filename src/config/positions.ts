/** Positions: map a data path such as ['processes', 1, 'kill_timeout'] back to its node in the YAML. */
import {type Document, isAlias, isMap, isScalar, isSeq, type LineCounter} from 'yaml'

import type {Path} from './problems.js'

interface Found {
  /** The deepest node reached (the entry itself when a required key is missing). */
  node: unknown
  /** The key node of the last map step, for "unknown key" messages. */
  key?: unknown
  /** False when the path leaves the document, e.g. a missing key or a key brought in by `<<:`. */
  complete: boolean
}

export function findNode(doc: Document, path: Path): Found {
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

export function positionOf(node: unknown, lineCounter: LineCounter): {line: number; column: number} {
  const offset = (node as null | {range?: [number, number, number]})?.range?.[0] ?? 0
  const {line, col} = lineCounter.linePos(offset)
  return {line, column: col}
}

/**
 * The text the user wrote for a numeric scalar, so `VERSION: 1.10` stays "1.10" and `ZIP: 01234`
 * keeps its zero instead of going through a JavaScript number.
 */
export function numberSource(doc: Document, path: Path): string | undefined {
  const {node, complete} = findNode(doc, path)
  if (complete && isScalar(node) && typeof node.value === 'number' && node.source) return node.source
  return undefined
}
