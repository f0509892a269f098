import assert from 'node:assert/strict'
import {chmodSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'

import {DotenvError, parseDotenv, readEnvFile} from '../../src/config/dotenv.js'
import {withoutRootPrivileges} from '../helpers/unprivileged.js'

describe('parseDotenv', () => {
  test('reads KEY=VALUE lines, skipping blanks and comments', () => {
    const text = [
      '# settings',
      '',
      'PORT=3000',
      'export HOST = example.com ',
      '  INDENTED=yes',
      'EMPTY=',
      'URL=http://x/?a=b#frag',
    ].join('\n')
    assert.deepEqual(parseDotenv(text), {
      PORT: '3000',
      HOST: 'example.com',
      INDENTED: 'yes',
      EMPTY: '',
      URL: 'http://x/?a=b#frag',
    })
  })

  test('unquoted values lose an inline comment that follows whitespace', () => {
    assert.deepEqual(parseDotenv('A=value # note\nB=a#b\nC= # only a comment\nD=#hash'), {
      A: 'value',
      B: 'a#b',
      C: '',
      D: '#hash',
    })
  })

  test('single quotes are literal, double quotes understand escapes', () => {
    const text = [
      `A='it\\n is # "raw"'`,
      `B="line1\\nline2\\t\\"q\\" \\\\ \\d"`,
      `C="  padded  " # comment`,
      `D=''`,
    ].join('\n')
    assert.deepEqual(parseDotenv(text), {
      A: String.raw`it\n is # "raw"`,
      B: 'line1\nline2\t"q" \\ \\d',
      C: '  padded  ',
      D: '',
    })
  })

  test('quoted values may span lines', () => {
    const text = ['KEY="-----BEGIN-----', 'abc', '-----END-----"', 'NEXT=1'].join('\n')
    assert.deepEqual(parseDotenv(text), {KEY: '-----BEGIN-----\nabc\n-----END-----', NEXT: '1'})
  })

  test('CRLF, a BOM and repeated keys are handled', () => {
    assert.deepEqual(parseDotenv('\uFEFFA=1\r\nB=2\r\nA=3\r\n'), {A: '3', B: '2'})
  })

  test('a key like __proto__ is an ordinary entry', () => {
    const vars = parseDotenv('__proto__=x')
    assert.equal(Object.getPrototypeOf(vars), Object.prototype)
    assert.deepEqual(Object.keys(vars), ['__proto__'])
  })

  test('invalid lines throw an error naming the line', () => {
    assert.throws(
      () => parseDotenv('A=1\n\nnot an assignment'),
      (err: unknown) => {
        assert.ok(err instanceof DotenvError)
        assert.equal(err.message, 'line 3: expected KEY=VALUE, got "not an assignment"')
        assert.equal(err.line, 3)
        return true
      },
    )
    assert.throws(() => parseDotenv('1BAD=x'), {message: 'line 1: expected KEY=VALUE, got "1BAD=x"'})
    assert.throws(() => parseDotenv('A=1\nB="open\nC=2'), {message: 'line 2: missing the closing " of the value of B'})
    assert.throws(() => parseDotenv(`A='x' trailing`), {
      message: `line 1: expected nothing but a comment after the closing ', got "trailing"`,
    })
  })
})

describe('readEnvFile', () => {
  let dir = ''
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tspm-dotenv-'))
  })
  after(() => rmSync(dir, {recursive: true, force: true}))

  test('reads and parses a file', () => {
    const file = join(dir, 'ok.env')
    writeFileSync(file, 'A=1\nB="two"\n')
    assert.deepEqual(readEnvFile(file), {A: '1', B: 'two'})
  })

  test('a missing file, a folder or a bad line name the path', () => {
    assert.throws(() => readEnvFile(join(dir, 'missing.env')), {
      message: `env_file ${join(dir, 'missing.env')}: no such file`,
    })
    assert.throws(() => readEnvFile(dir), {message: `env_file ${dir}: is a folder, expected a dotenv file`})
    const bad = join(dir, 'bad.env')
    writeFileSync(bad, 'A=1\noops\n')
    assert.throws(() => readEnvFile(bad), {message: `env_file ${bad}:2: expected KEY=VALUE, got "oops"`})
  })

  test('an unreadable file says permission denied', async () => {
    const file = join(dir, 'secret.env')
    writeFileSync(file, 'A=1\n')
    chmodSync(file, 0o000)
    await withoutRootPrivileges(() =>
      assert.throws(() => readEnvFile(file), {message: `env_file ${file}: cannot read the file (permission denied)`}),
    )
  })
})
