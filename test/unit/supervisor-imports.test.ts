import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {test} from 'node:test'

import {REPO_ROOT} from '../helpers/cli.js'

/** Every module the background supervisor loads, following static and dynamic imports from its entry. */
function moduleGraph(entry: string): {files: Set<string>; packages: Set<string>} {
  const files = new Set<string>()
  const packages = new Set<string>()
  const pending = [entry]
  while (pending.length > 0) {
    const file = pending.pop()!
    if (files.has(file)) continue
    files.add(file)
    const source = readFileSync(file, 'utf8')
    for (const match of source.matchAll(
      /(?:^|\s)(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm,
    )) {
      const specifier = match[1] ?? match[2] ?? match[3]
      if (specifier.startsWith('.')) pending.push(resolve(dirname(file), specifier))
      else if (!specifier.startsWith('node:')) packages.add(specifier)
    }
  }
  return {files, packages}
}

test('the background supervisor loads no package at all: no oclif, no listr2, no yaml, no zod', () => {
  const {files, packages} = moduleGraph(join(REPO_ROOT, 'dist', 'supervisor', 'main.js'))
  assert.ok(files.size > 5, `followed the imports (${files.size} files)`)
  assert.deepEqual([...packages], [])
  for (const file of files) assert.doesNotMatch(file, /[/\\]commands[/\\]|base-command/)
})

test('`tspm list` on its fast path loads no package either', () => {
  const {packages} = moduleGraph(join(REPO_ROOT, 'dist', 'fast-list.js'))
  assert.deepEqual([...packages], [])
})
