import assert from 'node:assert/strict'
import {before, describe, test} from 'node:test'

import type {TemplateFormat} from '../../src/startup/platform.js'

import {
  environmentAssignment,
  escapeUnitValue,
  execArgument,
  execCommand,
  readExecCommand,
  UnitValueError,
} from '../../plugins/plugin-systemd/src/systemd-syntax.js'
import {ExitCode, TspmError} from '../../src/model/exit-codes.js'
import {loadTemplateRenderer, UnsafeTemplateError} from '../../src/startup/template.js'

/** A toy format: its escape wraps a value in brackets, so an unescaped value shows. */
const BRACKETS: TemplateFormat = {
  escape: (value) => `[${value}]`,
  helpers: {
    words: (...values) => values.join(' '),
    quote: (value) => `"${value}"`,
  },
}

describe('service templates', () => {
  let render: Awaited<ReturnType<typeof loadTemplateRenderer>>

  before(async () => {
    render = await loadTemplateRenderer()
  })

  test("every {{value}} goes through the format's escape, and nothing else is changed", () => {
    assert.equal(
      render('User={{user}}\nPort={{port}} <&"\'>\nOn={{on}}', {user: 'alice <a&b>', port: 3000, on: true}, BRACKETS),
      'User=[alice <a&b>]\nPort=[3000] <&"\'>\nOn=[true]',
    )
  })

  test('values inside blocks, each and nested paths are escaped too', () => {
    assert.equal(
      render(
        '{{#each env}}{{@key}}={{this}};{{/each}}{{#if user}}{{user.name}}{{else}}none{{/if}}',
        {
          env: {A: '1', B: '2'},
          user: {name: 'bob'},
        },
        BRACKETS,
      ),
      '[A]=[1];[B]=[2];[bob]',
    )
    assert.equal(render('{{#unless user}}-{{else}}{{user}}{{/unless}}', {user: 'x'}, BRACKETS), '[x]')
  })

  test("a helper's result goes through the escape as well", () => {
    assert.equal(render('Exec={{quote cmd}}', {cmd: 'run me'}, BRACKETS), 'Exec=["run me"]')
  })

  test('a list argument to a helper passes its items, one by one', () => {
    assert.equal(
      render('{{words runtime command}}', {runtime: '/usr/bin/node', command: ['tspm', 'resurrect']}, BRACKETS),
      '[/usr/bin/node tspm resurrect]',
    )
  })

  for (const [what, template] of [
    ['a triple mustache', 'ExecStart={{{command}}}'],
    ['an ampersand mustache', 'ExecStart={{& command}}'],
    ['a raw value inside a block', '{{#if command}}{{{command}}}{{/if}}'],
    ['a raw value in the else of a block', '{{#if nothing}}x{{else}}{{& command}}{{/if}}'],
    ['a raw helper call', '{{{quote command}}}'],
  ]) {
    test(`${what} is refused: it would skip the escaping`, () => {
      assert.throws(
        () => render(template, {command: 'rm -rf /', nothing: ''}, BRACKETS),
        (error) => {
          assert.ok(error instanceof UnsafeTemplateError, String(error))
          assert.match(error.message, /raw value/)
          return true
        },
      )
    })
  }

  for (const [what, template] of [
    ['a partial', 'ExecStart={{> command}}'],
    ['a partial block', '{{#> layout}}x{{/layout}}'],
    ['an inline partial', '{{#*inline "x"}}{{command}}{{/inline}}'],
  ]) {
    test(`${what} is refused`, () => {
      assert.throws(
        () => render(template, {command: 'x'}, BRACKETS),
        (error) => {
          assert.ok(error instanceof UnsafeTemplateError, String(error))
          assert.match(error.message, /partials or decorators/)
          return true
        },
      )
    })
  }

  for (const [what, template] of [
    ['a value', 'User={{user}}'],
    ['a nested value', 'User={{user.name}}'],
    ['a helper argument', 'Exec={{quote command}}'],
  ]) {
    test(`${what} missing from the data is an error, never an empty string`, () => {
      assert.throws(
        () => render(template, {}, BRACKETS),
        (error) => {
          assert.ok(error instanceof TspmError, String(error))
          assert.equal(error.exitCode, ExitCode.usage)
          assert.equal(error.code, 'bad_value')
          return true
        },
      )
    })
  }

  test('a value the format refuses is a usage error (exit 2, bad_value) with the reason, and nothing is written', () => {
    const oneLine: TemplateFormat = {
      escape(value) {
        if (value.includes('\n')) throw new Error(`${JSON.stringify(value)} holds a newline`)
        return value
      },
    }
    assert.equal(render('Description={{text}}', {text: 'fine'}, oneLine), 'Description=fine')
    assert.throws(
      () => render('Description={{text}}', {text: 'two\nlines'}, oneLine),
      (error) => {
        assert.ok(error instanceof TspmError, String(error))
        assert.equal(error.exitCode, ExitCode.usage)
        assert.equal(error.code, 'bad_value')
        assert.match(error.message, /"two\\nlines" holds a newline; nothing was changed$/)
        return true
      },
    )
  })

  test('a value that is neither text nor a number is refused', () => {
    for (const value of [{name: 'x'}, null]) {
      assert.throws(
        () => render('Value={{value}}', {value}, BRACKETS),
        (error) => {
          assert.ok(error instanceof TspmError, String(error))
          assert.equal(error.code, 'bad_value')
          return true
        },
      )
    }
  })
})

describe('systemd unit syntax', () => {
  test('execCommand quotes each word, escapes quotes and backslashes, and doubles every $', () => {
    assert.equal(
      execCommand('/usr/bin/node', '/opt/my app/run.js', 'say "hi"', String.raw`C:\dir`, '$HOME', '${PATH}$$'),
      '"/usr/bin/node" "/opt/my app/run.js" "say \\"hi\\"" "C:\\\\dir" "$$HOME" "$${PATH}$$$$"',
    )
    assert.equal(execArgument(''), '""', 'an empty word stays a word')
  })

  test('execCommand refuses a word with a newline', () => {
    assert.throws(() => execCommand('/bin/true', 'a\nb'), UnitValueError)
  })

  test('escapeUnitValue doubles % (specifiers) and keeps everything else', () => {
    assert.equal(escapeUnitValue('100% done, %h and %%'), '100%% done, %%h and %%%%')
    assert.equal(escapeUnitValue('café "x" $y'), 'café "x" $y')
  })

  for (const value of ['two\nlines', 'carriage\rreturn', 'tab\there', 'nul\u0000', 'del\u007F', 'c1\u0085']) {
    test(`escapeUnitValue refuses ${JSON.stringify(value)}: a unit line cannot hold it`, () => {
      assert.throws(
        () => escapeUnitValue(value),
        (error) => {
          assert.ok(error instanceof UnitValueError, String(error))
          assert.match(error.message, /newline or control character/)
          return true
        },
      )
    })
  }

  test('the % of an ExecStart word is doubled once the unit value is escaped, after the quoting', () => {
    assert.equal(escapeUnitValue(execCommand('/bin/echo', '50%')), '"/bin/echo" "50%%"')
  })

  test('environmentAssignment quotes NAME=value and refuses a name that is not one', () => {
    assert.equal(environmentAssignment('TSPM_HOME', '/home/a "b"'), String.raw`"TSPM_HOME=/home/a \"b\""`)
    assert.throws(() => environmentAssignment('1BAD', 'x'), UnitValueError)
    assert.throws(() => environmentAssignment('A B', 'x'), UnitValueError)
  })

  test('readExecCommand reads back the words execCommand wrote, as escaped in the unit', () => {
    const words = ['/opt/node 20/bin/node', '--jitless', String.raw`/a "b"\c/run.js`, '$HOME', '100%', 'resurrect']
    const unit = `[Service]\nUser=a\nExecStart=${escapeUnitValue(execCommand(...words))}\nRestart=on-failure\n`
    assert.deepEqual(readExecCommand(unit), words)
    assert.equal(readExecCommand('[Service]\nUser=a\n'), undefined)
  })
})
