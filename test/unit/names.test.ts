import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {ExitCode, TspmError} from '../../src/model/exit-codes.js'
import {
  PLATFORM_NAME_PATTERN,
  PROCESS_NAME_PATTERN,
  RESERVED_NAME_MESSAGE,
  RESERVED_PROCESS_NAME,
  SERVICE_NAME_PATTERN,
  USER_NAME_PATTERN,
} from '../../src/model/names.js'
import {checkPrintable, checkServiceName, checkUserName, hasControlCharacter} from '../../src/startup/names.js'

/** Asserts that `check` refuses as a usage error (exit 2) with `code`, naming the value and `mentions`. */
function assertRefused(check: () => unknown, value: string, code: string, mentions: string): void {
  assert.throws(check, (error) => {
    assert.ok(error instanceof TspmError, String(error))
    assert.equal(error.exitCode, ExitCode.usage, `exit code for ${JSON.stringify(value)}`)
    assert.equal(error.code, code)
    assert.ok(error.message.includes(JSON.stringify(value)), `names the value: ${error.message}`)
    assert.ok(error.message.includes(mentions), `names ${mentions}: ${error.message}`)
    assert.match(error.message, /nothing was changed$/)
    return true
  })
}

const CONTROL_CHARACTERS = ['\n', '\r', '\t', '\u0000', '\u001B', '\u007F', '\u0085', '\u009F']

describe('user names (-u/--user)', () => {
  for (const name of ['alice', '_svc', 'a.b-c_d', 'A1', 'x'.repeat(32)]) {
    test(`${JSON.stringify(name)} is a user name`, () => {
      assert.equal(checkUserName(name, '-u/--user'), name)
    })
  }

  for (const name of [
    '',
    '1alice',
    '-alice',
    '.alice',
    'al ice',
    'root;rm',
    "o'neil",
    'al%ice',
    'a/b',
    'alice$',
    'x'.repeat(33),
    'alice\n',
    'élise',
  ]) {
    test(`${JSON.stringify(name)} is refused, naming the flag`, () => {
      assertRefused(() => checkUserName(name, '-u/--user'), name, 'bad_user', '-u/--user')
    })
  }
})

describe('service names (--service-name)', () => {
  for (const name of ['tspm', 'tspm-prod', 'a.b_c', '0day', '_x', 'x'.repeat(100)]) {
    test(`${JSON.stringify(name)} is a service name`, () => {
      assert.equal(checkServiceName(name), name)
    })
  }

  for (const name of ['', '.hidden', '-x', 'a/b', 'a b', 'tspm@1', 'x'.repeat(101), 'tspm\n', '..']) {
    test(`${JSON.stringify(name)} is refused, naming --service-name`, () => {
      assertRefused(() => checkServiceName(name), name, 'bad_service_name', '--service-name')
    })
  }
})

describe('values written into a service definition', () => {
  for (const value of ['/home/alice/.tspm', 'café ü 日本', 'a "quoted" $value %h', '']) {
    test(`${JSON.stringify(value)} is printable`, () => {
      assert.equal(checkPrintable(value, 'TSPM_HOME'), value)
      assert.equal(hasControlCharacter(value), false)
    })
  }

  for (const character of CONTROL_CHARACTERS) {
    const value = `/home/a${character}b`
    test(`${JSON.stringify(value)} is refused, naming what it is`, () => {
      assert.equal(hasControlCharacter(value), true)
      assertRefused(() => checkPrintable(value, 'TSPM_HOME'), value, 'bad_value', 'TSPM_HOME')
    })
  }
})

describe('the name patterns of src/model/names.ts', () => {
  const cases: Array<[string, RegExp, string[], string[]]> = [
    [
      'process names',
      PROCESS_NAME_PATTERN,
      ['web', 'api.v2', 'a_b-c', 'A', '0'],
      ['', 'a b', 'a/b', String.raw`a\b`, 'é', 'web\n', 'a;b', '$x'],
    ],
    ['login names', USER_NAME_PATTERN, ['alice', '_a', 'a.b'], ['', '9a', 'a b', 'a:b', `a${'b'.repeat(32)}`]],
    ['service names', SERVICE_NAME_PATTERN, ['tspm', '9', 'a-b.c'], ['', '.a', '-a', 'a b', 'a/b']],
    [
      'platform names',
      PLATFORM_NAME_PATTERN,
      ['systemd', 'launchd', 'open-rc', 'rc2'],
      ['', 'Systemd', '-x', 'a_b', 'a.b', 'a b', 'x'.repeat(51)],
    ],
  ]
  for (const [what, pattern, good, bad] of cases) {
    test(`${what}: ${good.length} good and ${bad.length} bad examples`, () => {
      for (const name of good) assert.ok(pattern.test(name), `${JSON.stringify(name)} should pass`)
      for (const name of bad) assert.ok(!pattern.test(name), `${JSON.stringify(name)} should be refused`)
    })
  }

  test('"all" is reserved, and the message says why', () => {
    assert.equal(RESERVED_PROCESS_NAME, 'all')
    assert.ok(PROCESS_NAME_PATTERN.test(RESERVED_PROCESS_NAME), 'it is refused as reserved, not as malformed')
    assert.match(RESERVED_NAME_MESSAGE, /"all" is reserved/)
    assert.match(RESERVED_NAME_MESSAGE, /stop, restart and delete/)
  })
})
