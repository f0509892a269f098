import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'node:test'

import {REPO_ROOT} from '../helpers/cli.js'
import {COMMAND_SNAPSHOT_FILE, commandSnapshot, SCHEMA_FILES, storedSchema} from '../helpers/snapshots.js'

const update = process.env.UPDATE_SNAPSHOTS === '1'

function checkOrWrite(file: string, actual: unknown, how: string): void {
  const text = `${JSON.stringify(actual, null, 2)}\n`
  if (update) {
    writeFileSync(file, text)
    return
  }

  assert.equal(readFileSync(file, 'utf8'), text, `${file} is stale: ${how}`)
}

test('every command, alias and flag is as the committed snapshot says', () => {
  checkOrWrite(
    COMMAND_SNAPSHOT_FILE,
    commandSnapshot(),
    'a command or flag changed; if on purpose, run `npm run snapshot` and commit it',
  )
})

test('schemas/ holds the JSON Schema of every stored format', () => {
  for (const file of Object.keys(SCHEMA_FILES) as Array<keyof typeof SCHEMA_FILES>) {
    checkOrWrite(
      join(REPO_ROOT, 'schemas', file),
      storedSchema(file),
      'a stored format changed; if on purpose, run `npm run snapshot` and commit it',
    )
  }
})

/** The README between its command markers. */
function commandReference(readme: string): string {
  const start = readme.indexOf('<!-- commands -->')
  const end = readme.indexOf('<!-- commandsstop -->')
  assert.ok(start !== -1 && end > start, 'the README has its <!-- commands --> ... <!-- commandsstop --> markers')
  return readme.slice(start, end)
}

test("the README's command reference, as the build generates it, is committed", (t) => {
  const committed = spawnSync('git', ['show', 'HEAD:README.md'], {cwd: REPO_ROOT, encoding: 'utf8'})
  if (committed.status !== 0) {
    t.skip('not a git checkout with a commit')
    return
  }

  // The build wrote README.md's reference from the commands; the committed one must say the same.
  assert.equal(
    commandReference(committed.stdout),
    commandReference(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')),
    'the committed README has a stale command reference: run `npm run build` and commit README.md',
  )
})
