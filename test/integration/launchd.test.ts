// The launchd plugin (plugins/plugin-launchd, npm package tspm-launchd), linked into the built CLI
// with `tspm plugins link` in a private oclif data folder. Its plist is read back by a real plist
// parser (python3's plistlib). Installing needs macOS: here it must refuse and change nothing.
import assert from 'node:assert/strict'
import {existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {delimiter, join} from 'node:path'
import {test} from 'node:test'

import {
  checkPlistValue,
  escapePlistValue,
  readEnvironmentVariable,
} from '../../plugins/plugin-launchd/src/plist-syntax.js'
import {SUPERVISOR_NODE_FLAGS} from '../../src/model/supervisor-runtime.js'
import {BIN, jsonResult, REPO_ROOT, runProgram, tempDir} from '../helpers/cli.js'
import {cliWithLinkedPlugin} from '../helpers/registry.js'

const PLUGIN_DIR = join(REPO_ROOT, 'plugins', 'plugin-launchd')
const IS_ROOT = process.getuid?.() === 0

/** Reads a plist with python3's plistlib and hands back what it parsed, as JSON. */
async function parsePlist(text: string): Promise<Record<string, unknown>> {
  const dir = tempDir('tspm-plist-')
  try {
    const file = join(dir, 'job.plist')
    writeFileSync(file, text)
    const script =
      'import json, plistlib, sys\nwith open(sys.argv[1], "rb") as f:\n    print(json.dumps(plistlib.load(f, fmt=plistlib.FMT_XML)))'
    const result = await runProgram('python3', ['-c', script, file], {timeoutMs: 30_000})
    assert.equal(result.code, 0, `plistlib could not read the plist:\n${result.stderr}\n${text}`)
    return JSON.parse(result.stdout) as Record<string, unknown>
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

/** A CLI with the launchd plugin linked in, in private oclif folders and a private TSPM_HOME. */
const linkedCli = (t: {after(fn: () => void): void}, homeName?: string) => cliWithLinkedPlugin(t, PLUGIN_DIR, homeName)

test('tspm startup launchd --print renders a plist that plistlib reads back, for a TSPM_HOME with a space, & and <', async (t) => {
  const cli = await linkedCli(t, 'tspm home & <odd>')
  const oddPath = '/opt/odd & <dir> "q"'
  const printed = await cli.run(['startup', 'launchd', '--print'], {PATH: `${oddPath}${delimiter}${process.env.PATH}`})
  assert.equal(printed.code, 0, printed.stderr)
  const xml = printed.stdout
  assert.match(xml, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<!DOCTYPE plist /)
  // Escaped in the text, exact once parsed.
  assert.ok(xml.includes('tspm home &amp; &lt;odd&gt;'), xml)
  assert.ok(!xml.includes('& <'), xml)

  const plist = await parsePlist(xml)
  const expectedKeys = [
    'EnvironmentVariables',
    'ExitTimeOut',
    'HardResourceLimits',
    'KeepAlive',
    'Label',
    'ProgramArguments',
    'RunAtLoad',
    'SoftResourceLimits',
    'StandardErrorPath',
    'StandardOutPath',
    'ThrottleInterval',
    'WorkingDirectory',
    ...(IS_ROOT ? ['UserName'] : []),
  ].sort()
  assert.deepEqual(Object.keys(plist).sort(), expectedKeys)
  assert.equal(plist.Label, 'io.tspm.tspm')
  assert.deepEqual(plist.ProgramArguments, [process.execPath, ...SUPERVISOR_NODE_FLAGS, BIN, 'resurrect'])
  const environment = plist.EnvironmentVariables as Record<string, string>
  assert.deepEqual(Object.keys(environment).sort(), ['PATH', 'TSPM_HOME'])
  assert.equal(environment.TSPM_HOME, cli.home)
  assert.ok(environment.PATH!.split(delimiter).includes(oddPath), environment.PATH)
  assert.equal(environment.PATH!.split(delimiter)[0], join(process.execPath, '..'))
  assert.equal(plist.RunAtLoad, true)
  assert.deepEqual(plist.KeepAlive, {SuccessfulExit: false})
  assert.equal(plist.ThrottleInterval, 10)
  // Default kill_timeout 1600 ms: 2 s, plus the margin.
  assert.equal(plist.ExitTimeOut, 12)
  // The apps get as many open files as under systemd's LimitNOFILE.
  assert.deepEqual(
    [plist.SoftResourceLimits, plist.HardResourceLimits],
    [{NumberOfFiles: 65_536}, {NumberOfFiles: 65_536}],
  )
  assert.equal(plist.StandardOutPath, join(cli.home, 'launchd-stdout.log'))
  assert.equal(plist.StandardErrorPath, join(cli.home, 'launchd-stderr.log'))
  if (IS_ROOT) assert.equal(plist.UserName, process.env.SUDO_USER || 'root')

  // Where it would go: a LaunchDaemon as root, a LaunchAgent of the user otherwise.
  const asJson = await cli.run(['startup', 'launchd', '--print', '--json'])
  assert.equal(asJson.code, 0, asJson.stderr)
  const answer = jsonResult<{platform: string; service_name: string; unit_path: string; unit: string}>(asJson.stdout)
  assert.equal(answer.platform, 'launchd')
  assert.equal(answer.service_name, 'tspm')
  if (IS_ROOT) assert.equal(answer.unit_path, '/Library/LaunchDaemons/io.tspm.tspm.plist')
  else assert.match(answer.unit_path, /\/Library\/LaunchAgents\/io\.tspm\.tspm\.plist$/)
  assert.equal(readEnvironmentVariable(answer.unit, 'TSPM_HOME'), cli.home)
})

test('the label and the file name are io.tspm.<service-name>', async (t) => {
  const cli = await linkedCli(t)
  const result = await cli.run(['startup', 'launchd', '--print', '--json', '--service-name', 'tspm-prod.api'])
  assert.equal(result.code, 0, result.stderr)
  const answer = jsonResult<{unit_path: string; unit: string}>(result.stdout)
  assert.ok(answer.unit_path.endsWith('/io.tspm.tspm-prod.api.plist'), answer.unit_path)
  assert.equal((await parsePlist(answer.unit)).Label, 'io.tspm.tspm-prod.api')
})

test('a TSPM_HOME with a control character is refused with a clear message', async (t) => {
  const cli = await linkedCli(t)
  const result = await cli.run(['startup', 'launchd', '--print'], {TSPM_HOME: join(cli.home, 'tab\there')})
  assert.equal(result.code, 2, result.stderr)
  assert.match(result.stderr, /control character/)
  assert.equal(result.stdout, '')
})

test('on a machine without launchd, installing says launchd runs on macOS and changes nothing', async (t) => {
  // On macOS the install would work: this test is about every other system.
  if (process.platform === 'darwin') return t.skip('this machine runs macOS')
  const cli = await linkedCli(t)
  const unitPath = IS_ROOT
    ? '/Library/LaunchDaemons/io.tspm.tspm.plist'
    : join(process.env.HOME ?? '/nonexistent', 'Library', 'LaunchAgents', 'io.tspm.tspm.plist')
  const existedBefore = existsSync(unitPath)
  const result = await cli.run(['startup', 'launchd'])
  assert.notEqual(result.code, 0, result.stdout)
  assert.match(result.stderr, /launchd/)
  assert.match(result.stderr, /macOS/)
  assert.match(result.stderr, /nothing was changed/)
  assert.equal(existsSync(unitPath), existedBefore, `${unitPath} appeared`)
  assert.equal(existsSync(join(cli.home, 'startup', 'startup.json')), false)

  // unstartup of a launchd job recorded in startup.json: refused the same way, the record kept.
  const record = {
    platform: 'launchd',
    service_name: 'tspm',
    unit_path: unitPath,
    user: 'nobody',
    home: '/nonexistent',
    tspm_home: cli.home,
    runtime: process.execPath,
    tspm: BIN,
    tspm_version: '0.1.0',
    installed_at: new Date().toISOString(),
  }
  mkdirSync(join(cli.home, 'startup'), {mode: 0o700})
  const recordFile = join(cli.home, 'startup', 'startup.json')
  writeFileSync(recordFile, JSON.stringify(record), {mode: 0o600})
  const removed = await cli.run(['unstartup', 'launchd'])
  assert.notEqual(removed.code, 0, removed.stdout)
  assert.match(removed.stderr, /launchd runs on macOS only/)
  assert.match(removed.stderr, /nothing was changed/)
  assert.equal(readFileSync(recordFile, 'utf8'), JSON.stringify(record))
})

test('every value is XML-escaped so plistlib reads back exactly what was meant; control characters are refused', async () => {
  const values = [
    'plain',
    'a & b',
    '<key>Label</key>',
    ']]> </string><string>injected',
    `quotes " and ' both`,
    '&amp; stays literal',
    '&#60; as well',
    'unicode: é ✓ 🚀',
    ' leading and trailing spaces ',
  ]
  const body = values
    .map((value, index) => `  <key>k${index}</key>\n  <string>${escapePlistValue(value)}</string>`)
    .join('\n')
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">\n<dict>\n${body}\n</dict>\n</plist>\n`
  const parsed = await parsePlist(xml)
  assert.deepEqual(
    values.map((_, index) => parsed[`k${index}`]),
    values,
  )

  for (const bad of [
    'new\nline',
    'tab\there',
    'cr\rhere',
    'nul\u0000',
    'del\u007F',
    'c1\u0085',
    'lone \uD800 surrogate',
    'not a char \uFFFF',
  ]) {
    assert.throws(
      () => escapePlistValue(bad),
      (error: Error) => {
        assert.match(error.message, /cannot hold/)
        return true
      },
      JSON.stringify(bad),
    )
  }

  assert.throws(
    () => checkPlistValue('a\nb', 'TSPM_HOME'),
    /^PlistValueError: TSPM_HOME "a\\nb" contains a newline or control character/,
  )
  // A surrogate pair is one character, and fine.
  assert.equal(escapePlistValue('🚀'), '🚀')
})
