// The sh quoting of the OpenRC plugin (plugins/plugin-openrc/src/init-script-syntax.ts), read back
// by the real /bin/sh: once for a plain assignment, and twice (unquoted expansion, then eval) for
// what supervise-daemon.sh passes through eval.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {test} from 'node:test'

import {
  checkEvalWord,
  evalWords,
  readExportedVariable,
  readShellWord,
  shellWord,
} from '../../plugins/plugin-openrc/src/init-script-syntax.js'

/** Runs a script with /bin/sh and returns what it printed. */
function sh(script: string): string {
  const result = spawnSync('/bin/sh', ['-c', script], {encoding: 'utf8', cwd: '/'})
  assert.equal(result.status, 0, `sh failed: ${result.stderr}\n${script}`)
  return result.stdout
}

const VALUES = [
  'plain',
  '/usr/bin/node',
  'PATH=/usr/bin:/bin',
  '--max-semi-space-size=1',
  '',
  'one space',
  ' leading and trailing ',
  `single ' quote`,
  `'`,
  `''`,
  `double " quote`,
  'dollar $HOME and ${PATH} and $(id) and `id`',
  String.raw`back\slash and \n`,
  'specials ; & | < > ( ) { } # ~ ! %',
  '~alice',
  '#not a comment',
  '-n',
  'unicode: é ✓ 🚀',
  `/home/alice/we ird"q's%h$x\\y`,
]

test('shellWord: sh reads back every value exactly; plain words stay bare', () => {
  for (const value of VALUES) {
    assert.equal(sh(`v=${shellWord(value)}; printf '%s' "$v"`), value, JSON.stringify(value))
    assert.equal(sh(`printf '%s' ${shellWord(value)}`), value, JSON.stringify(value))
  }

  assert.equal(shellWord('/usr/bin/node'), '/usr/bin/node')
  assert.equal(shellWord('alice:alice'), 'alice:alice')
  assert.equal(shellWord('a b'), `'a b'`)
  assert.equal(shellWord(`it's`), String.raw`'it'\''s'`)
  assert.equal(shellWord(''), `''`)
})

test("evalWords: the words come back exactly through supervise-daemon.sh's unquoted expansion and eval", () => {
  const words = VALUES
  // As supervise-daemon.sh does: `eval supervise-daemon ... $command_args` (here printf, one word a line).
  const script = `command_args=${shellWord(evalWords(...words))}\neval printf "'%s\\n'" $command_args`
  assert.deepEqual(sh(script).split('\n').slice(0, -1), words)
  // One word alone, as command, directory, output_log and command_user are.
  for (const word of words) {
    const one = `directory=${shellWord(evalWords(word))}\neval printf "'[%s]'" $directory`
    assert.equal(sh(one), `[${word}]`, JSON.stringify(word))
  }

  assert.equal(evalWords('--env', 'PATH=/usr/bin:/bin'), '--env PATH=/usr/bin:/bin')
})

test('evalWords refuses what the expansion before the eval would change, and control characters', () => {
  // Why: two spaces come back as one, and a pattern matches file names (here in /).
  assert.equal(sh(`v="'a  b'"; eval printf "'[%s]'" $v`), '[a b]')
  assert.notEqual(sh(`v="/bi?"; eval printf "'[%s]'" $v`), '[/bi?]')

  for (const bad of [
    'two  spaces',
    'star*',
    'question?',
    'bracket[',
    'tab\there',
    'new\nline',
    'nul\u0000',
    'c1\u0085',
  ]) {
    assert.throws(
      () => evalWords('fine', bad),
      (error: Error) => {
        assert.equal(error.name, 'InitScriptValueError')
        assert.match(error.message, /two spaces in a row or one of|newline or control character/)
        return true
      },
      JSON.stringify(bad),
    )
  }

  assert.throws(
    () => checkEvalWord('/opt/a  b', 'the runtime path'),
    /^InitScriptValueError: the runtime path "\/opt\/a {2}b" contains two spaces in a row or one of \* \? \[, which openrc-run would change/,
  )
  assert.throws(() => shellWord('a\nb'), /newline or control character, which an OpenRC init script cannot hold/)
  // Outside an eval, a single quote holds them all: only control characters are refused.
  assert.equal(sh(`printf '%s' ${shellWord('a  b*?[')}`), 'a  b*?[')
})

test('readShellWord and readExportedVariable read back what shellWord wrote', () => {
  for (const value of VALUES) assert.equal(readShellWord(shellWord(value)), value, JSON.stringify(value))
  for (const notOurs of ['$HOME', '"quoted"', `'unterminated`, 'a b', '`id`']) {
    assert.equal(readShellWord(notOurs), undefined, notOurs)
  }

  const home = `/home/alice/we ird"q's%h$x\\y`
  const script = `#!/sbin/openrc-run\ncommand=/usr/bin/node\nexport TSPM_HOME=${shellWord(home)}\n`
  assert.equal(readExportedVariable(script, 'TSPM_HOME'), home)
  assert.equal(readExportedVariable('#!/sbin/openrc-run\ncommand=/bin/true\n', 'TSPM_HOME'), undefined)
  assert.equal(readExportedVariable('export TSPM_HOME="$HOME/.tspm"\n', 'TSPM_HOME'), undefined)
})
